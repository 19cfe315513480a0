# gooserelay-carrier (issue 5)
