/* SPDX-License-Identifier: MIT */
/* Any bytes as a directory entry (the text form of tests/lib/ldap_entry.h;
 * the first byte picks the schema and whether `map` overrides fields), as
 * a server could send it: the mapping (source/ldap/map.h) must not crash or
 * trip a sanitizer, and what it gives must hold what the builder and the
 * index hold (C strings under 4096 bytes, lists of at most 256 values).
 * Declared beside a file's entries through the sync's own path
 * (declare.h), the builder must finish, and a mailbox it keeps must answer
 * to its address and keep the resolver's contract. The store must give the
 * entry back byte for byte, and the mapping of the stored entry must equal
 * the mapping of the pulled one. The userPassword a sync keeps (userpassword.h)
 * holds only what a secrets line can. */
#include "../lib/ldap_entry.h"
#include "declare.h"
#include "fuzz.h"
#include "map.h"
#include "store.h"
#include "userpassword.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_string(const char *what, const char *s)
{
        if (s)
                FZ_ASSERT(strlen(s) <= 4095, "%s: %zu bytes", what, strlen(s));
}

static void check_values(const char *what, const struct mailacct_values *v)
{
        FZ_ASSERT(v->n <= 256, "%s: %zu values", what, v->n);
        for (size_t i = 0; i < v->n; i++) {
                FZ_ASSERT(v->v[i] != NULL, "%s: a NULL value", what);
                check_string(what, v->v[i]);
        }
}

static void check_spec(const struct mailacct_ldap_mapped *m)
{
        if (m->kind == MAILACCT_LDAP_CONTACT) {
                FZ_ASSERT(m->contact.alias != NULL, "a contact without an alias");
                check_string("contact alias", m->contact.alias);
                check_string("contact address", m->contact.address);
                return;
        }
        FZ_ASSERT(m->kind == MAILACCT_LDAP_MAILBOX, "kind %d", m->kind);
        FZ_ASSERT(m->mailbox.address && *m->mailbox.address, "a mailbox without an address");
        check_string("address", m->mailbox.address);
        check_string("nt_account", m->mailbox.nt_account);
        check_string("name", m->mailbox.name);
        check_string("home", m->mailbox.home);
        check_string("shell", m->mailbox.shell);
        check_string("upn", m->mailbox.upn);
        check_values("aliases", &m->mailbox.aliases);
        check_values("addresses", &m->mailbox.addresses);
        check_values("services", &m->mailbox.services);
        check_values("delegate DNs", &m->mailbox.delegate_dns);
}

/* What a mapping gave, as one line, to compare two. */
static char *summary(const struct mailacct_ldap_mapped *m)
{
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);
        const struct mailacct_values *lists[] = {&m->mailbox.aliases, &m->mailbox.addresses, &m->mailbox.services,
                                                 &m->mailbox.delegate_dns};

        if (!f)
                abort();
        if (m->kind == MAILACCT_LDAP_CONTACT)
                fprintf(f, "contact %s %s", m->contact.alias, m->contact.address ? m->contact.address : "-");
        else {
                const struct mailacct_mailbox_spec *b = &m->mailbox;
                fprintf(f, "mailbox %s|%s|%s|%s|%s|%s|%s|%d%d%d%d|%u|%u", b->address,
                        b->nt_account ? b->nt_account : "", b->name ? b->name : "", b->home ? b->home : "",
                        b->shell ? b->shell : "", b->upn ? b->upn : "", b->dn ? b->dn : "", b->has_uid, b->has_gid,
                        b->has_services, b->enabled, (unsigned)b->uid, (unsigned)b->gid);
                for (size_t k = 0; k < 4; k++)
                        for (size_t i = 0; i < lists[k]->n; i++)
                                fprintf(f, "|%zu:%s", k, lists[k]->v[i]);
        }
        fclose(f);
        return s;
}

static struct mailacct_builder *file_entries(struct mailacct_diags *dg)
{
        static const char *const dom_aliases[] = {"example.org"};
        struct mailacct_settings_spec s = {.default_domain = "example.com"};
        struct mailacct_domain_spec d1 = {.name = "example.com",
                                          .netbios = "EXAMPLE",
                                          .aliases = {.v = dom_aliases, .n = 1},
                                          .origin = {.file = "fuzz.conf", .line = 1}};
        struct mailacct_domain_spec d2 = {.name = "corp.example.com", .origin = {.file = "fuzz.conf", .line = 2}};
        struct mailacct_mailbox_spec pm = {
                .address = "postmaster@example.com", .enabled = true, .origin = {.file = "fuzz.conf", .line = 3}};
        struct mailacct_builder *b = mailacct_builder_new(dg, "fuzz.conf");

        if (!b || mailacct_builder_settings(b, &s) < 0 || mailacct_builder_domain(b, &d1) < 0 ||
            mailacct_builder_domain(b, &d2) < 0 || mailacct_builder_mailbox(b, &pm, MAILACCT_CLASH_ERROR) < 0)
                abort();
        return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct tl_entry t;
        struct mailacct_ldap_conf c;
        struct mailacct_ldap_mapper *m;
        struct mailacct_ldap_mapped out;
        struct mailacct_ldap_declarer x;
        struct mailacct_diags dg;
        struct mailacct_builder *b;
        struct mailacct_dir *d = NULL;
        const char *why;
        char *first = NULL;
        bool declared;
        int r;

        if (size < 1)
                return 0;
        mailacct_ldap_conf_init(&c);
        c.schema = data[0] & 1 ? MAILACCT_LDAP_SCHEMA_AD : MAILACCT_LDAP_SCHEMA_OPENLDAP;
        if (data[0] & 2) {
                c.map[MAILACCT_LF_ALIASES] = (char *)"cn";
                c.map[MAILACCT_LF_SERVICES] = (char *)(data[0] & 4 ? "protocolSettings" : "mailService");
                c.map[MAILACCT_LF_ENABLED] = (char *)(data[0] & 4 ? "userAccountControl" : "accountActive");
                c.map[MAILACCT_LF_DELEGATES] = (char *)"seeAlso";
                c.map[MAILACCT_LF_ADDRESS] = (char *)(data[0] & 8 ? "proxyAddresses" : NULL);
                c.map[MAILACCT_LF_NT_ACCOUNT] = (char *)"ntAccount";
                c.contact_filter = (char *)"(objectClass=mailRecipient)";
        }
        tl_entry_parse((const char *)data + 1, size - 1, &t);
        /* userPassword (userpassword.h): a kept hash is one a secrets line
         * could hold, and a scheme's name only ever what it may print */
        {
                struct mailacct_ldap_password pw;
                if (mailacct_ldap_password(&t.e, &pw)) {
                        size_t hl = strlen(pw.hash);
                        FZ_ASSERT(hl <= MAILACCT_PASSWORD_MAX, "a kept hash of %zu bytes", hl);
                        for (size_t i = 0; i < hl; i++)
                                FZ_ASSERT((unsigned char)pw.hash[i] > ' ' && pw.hash[i] != ':' && pw.hash[i] != 0x7f,
                                          "a kept hash holds byte %#x", (unsigned char)pw.hash[i]);
                        FZ_ASSERT(!(hl && pw.refused), "a hash both kept and refused");
                        FZ_ASSERT(pw.n_other <= MAILACCT_LDAP_SCHEMES_MAX, "%zu schemes", pw.n_other);
                        for (size_t i = 0; i < pw.n_other; i++)
                                FZ_ASSERT(strspn(pw.other[i], "{}?ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_. nochemes") ==
                                                  strlen(pw.other[i]),
                                          "a scheme name that prints input: %s", pw.other[i]);
                } else
                        FZ_ASSERT(pw.n_values == 0 && !pw.hash[0], "no value, yet a hash");
                mailacct_ldap_password_clear(&pw);
        }
        m = mailacct_ldap_mapper_new(&c);
        if (!m)
                abort();
        r = mailacct_ldap_map(m, &t.e, NULL, &out, &why);
        FZ_ASSERT(r == 0 || r == 1, "map returned %d", r);
        if (r == 1)
                FZ_ASSERT(why && *why, "left out without a reason");
        else {
                check_spec(&out);
                first = summary(&out);
        }
        mailacct_ldap_mapper_free(m);

        /* through the sync's path, beside the file's entries */
        mailacct_diags_init(&dg);
        b = file_entries(&dg);
        if (mailacct_ldap_declarer_init(&x, b, &c, &dg) < 0)
                abort();
        r = mailacct_ldap_declare(&x, &t.e, 0, &declared);
        FZ_ASSERT(r == 0, "declare: %d", r);
        mailacct_ldap_declarer_clear(&x);
        r = mailacct_builder_finish(b, &d);
        FZ_ASSERT(r == 0, "a directory entry made the build fail (%d)", r);
        if (declared && t.e.kind == MAILACCT_LDAP_MAILBOX && mailacct_dir_settings(d)->n_mailboxes == 2) {
                struct mailacct_result res;
                const char *address = mailacct_dir_address(d, 1);
                FZ_ASSERT(address != NULL, "the mailbox has no address");
                r = mailacct_resolve(d, address, &res);
                fz_check_result(d, address, r, &res);
                FZ_ASSERT(r == 0 && res.mailbox == 1, "\"%s\" does not answer to its own address (%s)", address,
                          mailacct_reason_name(res.reason));
                for (uint32_t i = 0; i < 8; i++) {
                        const char *alias;
                        int line;
                        if (mailacct_dir_list(d, 1, MAILACCT_LIST_ALIASES, i, &alias, &line) < 0)
                                break;
                        r = mailacct_resolve(d, alias, &res);
                        fz_check_result(d, alias, r, &res);
                }
        }
        mailacct_dir_free(d);
        mailacct_diags_clear(&dg);

        /* the store: the same bytes back, the same mapping from them */
        {
                const char *path = fz_path(0, "fuzz.idx.ldap");
                char err[512];
                struct mailacct_ldap_store_writer *w =
                        mailacct_ldap_store_begin(path, c.schema, 1, 1, err, sizeof(err));
                struct mailacct_ldap_store *s;
                struct mailacct_ldap_store_iter *it;
                struct mailacct_ldap_entry e;
                uint32_t ord;
                uint64_t content, content2;

                FZ_ASSERT(w != NULL, "store: %s", err);
                r = mailacct_ldap_store_put(w, &t.e, &ord, &content);
                FZ_ASSERT(r == 0, "store_put: %d", r);
                FZ_ASSERT(mailacct_ldap_store_commit(w, err, sizeof(err)) == 0, "store commit: %s", err);
                FZ_ASSERT(mailacct_ldap_store_open(path, &s, err, sizeof(err)) == 0, "store open: %s", err);
                it = mailacct_ldap_store_iter_new(s);
                FZ_ASSERT(mailacct_ldap_store_next(it, &e, &ord, NULL, &content2) == 1, "the entry is not read back");
                FZ_ASSERT(content == content2, "the content hash differs once stored");
                FZ_ASSERT(e.kind == t.e.kind && e.dn_len == t.e.dn_len && strcmp(e.dn, t.e.dn) == 0 &&
                                  e.key_len == t.e.key_len && (!e.key_len || memcmp(e.key, t.e.key, e.key_len) == 0) &&
                                  e.n_attrs == t.e.n_attrs,
                          "the stored entry differs");
                for (size_t i = 0; i < e.n_attrs; i++) {
                        FZ_ASSERT(strcmp(e.attrs[i].name, t.e.attrs[i].name) == 0 && e.attrs[i].n == t.e.attrs[i].n,
                                  "attribute %zu differs once stored", i);
                        for (size_t k = 0; k < e.attrs[i].n; k++)
                                FZ_ASSERT(e.attrs[i].v[k].len == t.e.attrs[i].v[k].len &&
                                                  memcmp(e.attrs[i].v[k].p, t.e.attrs[i].v[k].p, e.attrs[i].v[k].len) ==
                                                          0,
                                          "value %zu of %s differs once stored", k, e.attrs[i].name);
                }
                m = mailacct_ldap_mapper_new(&c);
                r = mailacct_ldap_map(m, &e, NULL, &out, &why);
                if (first) {
                        char *again;
                        FZ_ASSERT(r == 0, "mapped when pulled, left out when stored: %s", why);
                        again = summary(&out);
                        FZ_ASSERT(strcmp(first, again) == 0, "another mapping once stored:\n  %s\n  %s", first, again);
                        free(again);
                } else
                        FZ_ASSERT(r == 1, "left out when pulled, mapped when stored");
                mailacct_ldap_mapper_free(m);
                FZ_ASSERT(mailacct_ldap_store_next(it, &e, &ord, NULL, NULL) == 0, "a second entry");
                mailacct_ldap_store_iter_free(it);
                mailacct_ldap_store_close(s);
                unlink(path);
        }
        free(first);
        return 0;
}
