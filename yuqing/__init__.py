"""yuqing's front door: the `yuqing` command line (`cli` and its `cli_*` command modules), the
web app (`web`: the console, the signed link pages, the intake endpoint), a person's action from
any front (`actions`), the configuration check (`config_check`, `channel_check`), and the demo
with its local stand-in platforms (`demo`, `demo_platforms`, `standins`, `localservers`). The
settings object is `settings/`'s; nothing imports this package."""
