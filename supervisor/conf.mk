# YAML configuration parser (issue 2): libconf.a, supervisor only
noinst_LIBRARIES += libconf.a
libconf_a_SOURCES =
libconf_a_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS)
CONF_LIBS = libconf.a $(YAML_LIBS)
