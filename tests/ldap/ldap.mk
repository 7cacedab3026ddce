# The directory suites (included by the top-level Makefile): `mailacct sync`
# against servers the suites start on loopback: Debian's slapd in both
# schemas (crypt.sh: the {CRYPT} hashes synced from userPassword, logins
# through libpam and Dovecot; bind.sh: passwords = "ldap-bind" through libpam
# against two slapd servers), a Samba AD DC provisioned in a temporary folder
# (samba.sh; krb5-stack.sh: pam_krb5 against its KDC), and slapd with
# syncprov for the incremental sync (incremental.sh; samba-incremental.sh:
# AD's uSNChanged on the Samba DC). Each needs
# root and skips (77) without it or without the packages (.ci/run installs
# them). The Samba suites are left to the plain build under ASan: they spend
# their time in Samba, not in mailacct.
SUITES += tests/ldap/openldap.sh tests/ldap/crypt.sh tests/ldap/ad.sh tests/ldap/samba.sh tests/ldap/krb5-stack.sh tests/ldap/units.sh tests/ldap/bind.sh tests/ldap/incremental.sh tests/ldap/samba-incremental.sh
