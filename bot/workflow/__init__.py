"""The workflows' state machines: their states, final states and moves."""
