#!/bin/sh
# ctest runs each test by name through doctest's --test-case filter, which splits on ',' and ';'
# and treats '*' and '?' as wildcards: such a name would silently run nothing, or another test
# too, as would a name used twice. Fails, naming them, if the test binary $1 has such names.
names=$("$1" --list-test-cases | grep -v -e '^\[doctest\]' -e '^=====')
bad=$(printf '%s\n' "$names" | grep '[,;*?]')
twice=$(printf '%s\n' "$names" | sort | uniq -d)
if [ -n "$bad$twice" ]; then
  printf 'test names unsafe for filters:\n%s\n%s\n' "$bad" "$twice"
  exit 1
fi
printf '%s test names checked\n' "$(printf '%s\n' "$names" | wc -l)"
