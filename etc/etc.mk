# Service files (issue 2): systemd unit, sysusers and tmpfiles snippets,
# OpenBSD rc.d script, SysV init script; paths substituted at make time.
ETC_IN = etc/gooserelayd.service.in etc/gooserelayd.sysusers.in \
	etc/gooserelayd.tmpfiles.in etc/rc.d/gooserelayd.in \
	etc/gooserelayd.init.in
EXTRA_DIST += $(ETC_IN)
ETC_SUBST = sed -e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@runstatedir[@]|$(runstatedir)|g' \
	-e 's|@GR_USER[@]|$(GR_USER)|g' \
	-e 's|@GR_EMPTY_DIR[@]|$(GR_EMPTY_DIR)|g' \
	-e 's|@GR_SD_TYPE[@]|$(GR_SD_TYPE)|g' \
	-e 's|@GR_SD_NOTIFY[@]|$(GR_SD_NOTIFY)|g'

systemdunitdir = $(prefix)/lib/systemd/system
systemdunit_DATA = etc/gooserelayd.service
sysusersdir = $(prefix)/lib/sysusers.d
sysusers_DATA = etc/sysusers.d/gooserelayd.conf
tmpfilesdir = $(prefix)/lib/tmpfiles.d
tmpfiles_DATA = etc/tmpfiles.d/gooserelayd.conf
rcddir = $(sysconfdir)/rc.d
rcd_SCRIPTS = etc/rc.d/gooserelayd
initddir = $(sysconfdir)/init.d
initd_SCRIPTS = etc/init.d/gooserelayd
# The annotated sample (conf engineer's file, in its EXTRA_DIST) is
# installed beside where the real file goes.
sysconf_DATA = etc/gooserelayd.yaml.sample
CLEANFILES += $(systemdunit_DATA) $(sysusers_DATA) $(tmpfiles_DATA) \
	$(rcd_SCRIPTS) $(initd_SCRIPTS)

etc/gooserelayd.service: $(srcdir)/etc/gooserelayd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc && \
	$(ETC_SUBST) $(srcdir)/etc/gooserelayd.service.in >$@
etc/sysusers.d/gooserelayd.conf: $(srcdir)/etc/gooserelayd.sysusers.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc/sysusers.d && \
	$(ETC_SUBST) $(srcdir)/etc/gooserelayd.sysusers.in >$@
etc/tmpfiles.d/gooserelayd.conf: $(srcdir)/etc/gooserelayd.tmpfiles.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc/tmpfiles.d && \
	$(ETC_SUBST) $(srcdir)/etc/gooserelayd.tmpfiles.in >$@
etc/rc.d/gooserelayd: $(srcdir)/etc/rc.d/gooserelayd.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc/rc.d && \
	$(ETC_SUBST) $(srcdir)/etc/rc.d/gooserelayd.in >$@ && chmod +x $@
etc/init.d/gooserelayd: $(srcdir)/etc/gooserelayd.init.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc/init.d && \
	$(ETC_SUBST) $(srcdir)/etc/gooserelayd.init.in >$@ && chmod +x $@
