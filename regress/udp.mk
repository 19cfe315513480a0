# SOCKS5 UDP ASSOCIATE over udp_v1 (issue 17, docs/udp.md).
UDP_CASES = regress/cases/udp_dns.sh regress/cases/udp_echo.sh \
	regress/cases/udp_negotiate.sh regress/cases/udp_limits.sh
TESTS += $(UDP_CASES)
EXTRA_DIST += $(UDP_CASES) regress/lib-udp.sh regress/tools/socksudp.py
