"""The op database: one ``OpInfo`` per public op, driving the generated op tests."""
