"""hromada's Scrapy commands (``COMMANDS_MODULE``): each module is the command of its name."""
