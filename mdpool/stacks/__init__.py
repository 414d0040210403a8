"""The two stacks. They compose constructs and hold no resources of their own."""
