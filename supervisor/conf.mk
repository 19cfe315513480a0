# YAML configuration parser (issues 2, 8): libconf.a, supervisor only
noinst_LIBRARIES += libconf.a
# The files point one way (scripts/depgraph.py, regress/cases/
# arch_circles.sh): conf_load, conf_show, conf_demo -> conf_check ->
# conf_keys -> conf_values, conf_dump -> conf, conf_defaults.  The tunnel
# key is read by wire_key_parse() of libwire.
libconf_a_SOURCES = supervisor/confparse.h supervisor/conf_keys.h \
	supervisor/conf.c supervisor/conf_defaults.c supervisor/conf_load.c \
	supervisor/conf_keys.c supervisor/conf_values.c \
	supervisor/conf_check.c supervisor/conf_dump.c supervisor/conf_show.c \
	supervisor/conf_demo.c
libconf_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/supervisor
libconf_a_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS) $(CRYPTO_CFLAGS)
CONF_LIBS = libconf.a $(YAML_LIBS) $(WIRE_LIBS)

# Unit tests of the parser: good files, each kind of bad file, presets,
# origins, the demo.  The test data lives in regress/data/conf/.
check_PROGRAMS += regress/unit/test_conf
TESTS += regress/unit/test_conf
regress_unit_test_conf_SOURCES = regress/unit/test_conf.c
regress_unit_test_conf_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/supervisor \
	-DCONF_DATADIR='"$(abs_top_srcdir)/regress/data/conf"' \
	-DCONF_SAMPLE='"$(abs_top_srcdir)/etc/gooserelayd.yaml.sample"' \
	-DCONF_MANPAGE='"$(abs_top_srcdir)/man/gooserelayd.yaml.5"'
regress_unit_test_conf_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(YAML_CFLAGS)
regress_unit_test_conf_LDADD = $(CONF_LIBS) $(CMOCKA_LIBS)
EXTRA_DIST += regress/data/conf regress/fuzz/fuzz_conf.c \
	regress/fuzz/corpus/conf etc/gooserelayd.yaml.sample
