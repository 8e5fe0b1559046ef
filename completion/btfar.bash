# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# bash completion for btfar, installed as
# share/bash-completion/completions/btfar (loaded on demand by
# bash-completion; or source this file).
#
# The commands and each command's options come from the program itself
# (btfar --help, btfar COMMAND --help: the texts the man pages are checked
# against), read once per shell and command; an option followed by an
# upper-case word there (--base VMLINUX) takes a value. `btfar get ARCHIVE
# <TAB>` completes the releases of ARCHIVE (btfar list --json ARCHIVE).
# tests/repo/completion.sh checks COMPREPLY for these cases.

# _btfar_help PROG [COMMAND]: the help text, cached in _btfar_cache_*
_btfar_help() {
	local key=_btfar_cache_${2-}
	key=${key//-/_}
	if [[ -z ${!key+set} ]]; then
		printf -v "$key" '%s' "$("$1" ${2:+"$2"} --help 2>/dev/null)"
	fi
	printf '%s\n' "${!key}"
}

# the commands: the first word of each line under "commands:"
_btfar_commands() {
	_btfar_help "$1" | awk '/^commands:/ {c = 1; next}
		c && /^  [a-z]/ {print $1} c && /^$/ {c = 0}'
}

# the options of a command: every --long and -x of its usage lines and of
# the heads of its option lines (help_matches_man.sh reads them the same way)
_btfar_options() {
	_btfar_help "$1" "$2" | awk '
		/^usage:/ {u = 1} u && /^$/ {u = 0}
		{ line = $0 }
		!u && /^  +-/ { sub(/^ +/, "", line); sub(/   .*/, "", line) }
		!u && !/^  +-/ { next }
		{ while (match(line, /(^|[^a-zA-Z0-9-])--?[a-zA-Z][a-zA-Z0-9-]*/)) {
			o = substr(line, RSTART, RLENGTH); sub(/^[^-]/, "", o)
			if (o != "--help" && o != "-h") print o
			line = substr(line, RSTART + RLENGTH) } }' | sort -u
	printf '%s\n' --help --progress --no-progress
}

# does option $3 of command $2 take a value (followed by VALUE in its help)?
_btfar_takes_value() {
	_btfar_help "$1" "$2" | grep -qE -- "(^|[ [,])$3 [A-Z]"
}

_btfar() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=
	local prog=${COMP_WORDS[0]} cmd= i w nargs=0 archive=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()
	[[ $prog == "~/"* ]] && prog=$HOME/${prog#"~/"}
	((COMP_CWORD > 1)) && cmd=${COMP_WORDS[1]}

	if ((COMP_CWORD == 1)); then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W '--help --version' -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W \
				"$(_btfar_commands "$prog") help" -- "$cur")
		fi
		return 0
	fi
	if [[ $cmd == help ]]; then
		((COMP_CWORD == 2)) && mapfile -t COMPREPLY < <(compgen -W \
			"$(_btfar_commands "$prog")" -- "$cur")
		return 0
	fi

	# the value of the option before the cursor
	case $prev in
	--datasec)
		mapfile -t COMPREPLY < <(compgen -W 'keep drop' -- "$cur")
		return 0
		;;
	--dedup-engine)
		mapfile -t COMPREPLY < <(compgen -W 'refine libbpf' -- "$cur")
		return 0
		;;
	-o | --output | --base | --from | --to | --module-base | --pahole)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return 0
		;;
	-*)
		if _btfar_takes_value "$prog" "$cmd" "$prev"; then
			return 0 # a number, a name: nothing to offer
		fi
		;;
	esac

	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W \
			"$(_btfar_options "$prog" "$cmd")" -- "$cur")
		return 0
	fi

	# btfar get ARCHIVE RELEASE: count the operands before the cursor
	if [[ $cmd == get ]]; then
		for ((i = 2; i < COMP_CWORD; i++)); do
			w=${COMP_WORDS[i]}
			if [[ $w == -* ]]; then
				[[ $w != *=* ]] &&
					_btfar_takes_value "$prog" get "$w" && ((i++))
				continue
			fi
			((nargs++ == 0)) && archive=$w
		done
		if ((nargs == 1)); then
			[[ $archive == "~/"* ]] && archive=$HOME/${archive#"~/"}
			mapfile -t COMPREPLY < <(compgen -W "$("$prog" list --json \
				"$archive" 2>/dev/null | grep -o '"release":"[^"]*"' |
				cut -d'"' -f4)" -- "$cur")
			return 0
		fi
	fi
	compopt -o filenames 2>/dev/null
	mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	return 0
}

complete -F _btfar btfar
