"""marshmallow 4 schemas: one module per resource, instances defined once where used."""
