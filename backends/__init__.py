"""Code-generation backends, imported as ``archc.backends.<name>`` (see ``archc.codegen.BACKENDS``)."""
