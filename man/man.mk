# Manual pages (mdoc).  make check lints them with mandoc -T lint.
dist_man_MANS += man/gooserelayd.8 man/gooserelayd.yaml.5 man/gooserelayctl.8
