"""yuqing's application layer: the settings object, the `yuqing` command line, the demo, and
the small glue that turns settings into what flows and tasks need."""
