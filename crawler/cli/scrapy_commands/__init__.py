"""hromada's Scrapy commands (``COMMANDS_MODULE``), the CLI of `scrapy`: each module is the command of its name."""
