# bash completion for mailacct(8)                          -*- shell-script -*-
# Installed to /usr/share/bash-completion/completions/mailacct. Self-contained:
# it needs nothing of the bash-completion package's helpers.

_mailacct()
{
        local cur prev words cword cmd i
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        local commands="resolve explain show list check compile import passwd sync test help"

        # the command: the first word after the options (and -c FILE)
        cmd=
        for ((i = 1; i < COMP_CWORD; i++)); do
                case ${COMP_WORDS[i]} in
                -c | --config) ((i++)) ;;
                -*) ;;
                *)
                        cmd=${COMP_WORDS[i]}
                        break
                        ;;
                esac
        done

        case $prev in
        -c | --config | -o | --output)
                COMPREPLY=($(compgen -f -- "$cur"))
                return
                ;;
        -s | --service | --shadow)
                if [ "$cmd" = import ]; then
                        COMPREPLY=($(compgen -f -- "$cur"))
                elif [ "$cmd" = test ]; then
                        COMPREPLY=($(compgen -W "$(ls /etc/pam.d 2>/dev/null)" -- "$cur"))
                else
                        COMPREPLY=($(compgen -W "yescrypt sha512 bcrypt" -- "$cur"))
                fi
                return
                ;;
        --scheme)
                COMPREPLY=($(compgen -W "yescrypt sha512 bcrypt" -- "$cur"))
                return
                ;;
        -d | --pam-dir)
                if [ "$cmd" = test ]; then
                        COMPREPLY=($(compgen -d -- "$cur"))
                        return
                fi
                ;;
        esac

        if [ -z "$cmd" ]; then
                if [[ $cur == -* ]]; then
                        COMPREPLY=($(compgen -W "-c --config -h --help -V --version" -- "$cur"))
                else
                        COMPREPLY=($(compgen -W "$commands" -- "$cur"))
                fi
                return
        fi

        local opts="-c --config -h --help"
        case $cmd in
        resolve) opts="$opts -e --explain --json" ;;
        explain) opts="$opts --json" ;;
        check) opts="$opts --json --online" ;;
        show) opts="$opts --json" ;;
        list) opts="$opts -d --domain --contacts --json" ;;
        compile) opts="$opts -o --output --if-exists" ;;
        passwd) opts="$opts -s --scheme" ;;
        sync) opts="$opts --full -n --dry-run -f --force --watch --json" ;;
        import)
                opts="$opts -n --dry-run -u --update -d --domain -s --shadow -m --min-uid"
                if [[ $cur != -* ]]; then
                        case $prev in
                        -d | --domain | -m | --min-uid) return ;;
                        esac
                        # the first operand is the format, the second the file
                        local j operands=0
                        for ((j = i + 1; j < COMP_CWORD; j++)); do
                                case ${COMP_WORDS[j]} in
                                -d | --domain | -s | --shadow | -m | --min-uid | -c | --config) ((j++)) ;;
                                -*) ;;
                                *) ((operands++)) ;;
                                esac
                        done
                        if [ $operands -eq 0 ]; then
                                COMPREPLY=($(compgen -W "dovecot-passwd passwd csv ldif" -- "$cur"))
                        else
                                COMPREPLY=($(compgen -f -- "$cur"))
                        fi
                        return
                fi
                ;;
        test) opts="$opts -s --service -d --pam-dir" ;;
        help)
                COMPREPLY=($(compgen -W "$commands" -- "$cur"))
                return
                ;;
        esac
        if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        fi
} &&
        complete -F _mailacct mailacct
