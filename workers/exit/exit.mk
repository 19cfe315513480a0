# gooserelay-exit (issue 4)
