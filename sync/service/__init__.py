"""The shell: command line, commands, desks (open + lock), daemon loop, config, logs."""
