# gooserelayd and gooserelayctl (issue 2)
