"""Text normalization shared by extraction, search and place tagging."""

APOSTROPHE = "'"  # the form the pymorphy3 Ukrainian dictionary uses
#: Look-alikes Ukrainian sites type for the apostrophe (об’єднання, обʼєднання, об`єднання...).
APOSTROPHE_VARIANTS = "’ʼ`´‘′ʹ＇"


def fold_apostrophes(text: str) -> str:
    """Replace every apostrophe look-alike with ``'`` (same length, so offsets hold)."""
    # str.replace per variant is far faster than str.translate with a mapping on Cyrillic text
    for variant in APOSTROPHE_VARIANTS:
        if variant in text:
            text = text.replace(variant, APOSTROPHE)
    return text
