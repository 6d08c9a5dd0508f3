"""Code-generation backends, imported as ``archc.backends.<name>`` (see ``archc.commands.build.BACKENDS``)."""
