# Service files (issue 2)
