"""Living-bill payments: provider interface, sandbox provider, settlement, bill import."""
