# The directory suites (included by the top-level Makefile): `mailacct sync`
# against servers the suites start on loopback: Debian's slapd in both
# schemas, and a Samba AD DC provisioned in a temporary folder. Each needs
# root and skips (77) without it or without the packages (.ci/run installs
# them). The Samba suite is left to the plain build under ASan: it spends
# its time in Samba, not in mailacct.
SUITES += tests/ldap/openldap.sh tests/ldap/incremental.sh tests/ldap/ad.sh tests/ldap/samba.sh tests/ldap/units.sh
