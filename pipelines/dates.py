"""Stage 3: normalize the raw date strings against the fetch time (never the import-time clock).

Stored dates are in Kyiv time with the offset in force on that day, whatever
offset the page wrote them in: one time axis for every article in the archive.
"""

from crawler.analysis.dates import KYIV, resolve_dates
from pipelines.base import SourcePipeline


class DatesPipeline(SourcePipeline):
    def process_item(self, item):
        dates = resolve_dates(item.get("date_candidates") or [], now=item["fetched_at"], language=item.get("language"))
        for kind, column in (("published", "published_at"), ("modified", "modified_at")):
            value = dates[kind]
            item[column] = value.astimezone(KYIV).isoformat() if value is not None else None
        item["published_raw"] = dates["published_raw"]
        item["date_source"] = dates["published_source"]
        item["modified_raw"] = dates["modified_raw"]
        item["modified_source"] = dates["modified_source"]
        if item["published_at"] is None:
            self.count(item, "undated")
            if item["published_raw"]:  # the page gave a date that cannot be one (31.02.2025, 2099)
                self.count(item, "faults/date_impossible")
        return item
