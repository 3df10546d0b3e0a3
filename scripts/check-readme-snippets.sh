#!/bin/sh
# Checks that every ```swift block in README.md is compiled and run by the tests.
#
# The rule, per block: each non-blank line of the block must appear in the test file
# (Tests/LibWebSocketsTests/Docs/ReadmeExamplesTests.swift), in the block's order, with the same
# text. Leading and trailing whitespace are ignored; everything else, comments and the spacing
# inside a line included, must match. The test file may have other lines between and around
# them. Each block is checked on its own, from the top of the test file.
#
# A line the test had to change (a port, say) ends in the marker
#     <the test's line>  // adapted from README: <the README's line>
# and, for this check, stands for the text after the marker. So changing that README line still
# fails the check until the marker is updated too.
#
# Usage: scripts/check-readme-snippets.sh [README [TEST_FILE]]   (paths from the repository root)
# Exits 0 when every block is found, 1 naming each block that is not, 2 on a usage error.

set -eu
cd "$(dirname "$0")/.."
readme=${1:-README.md}
tests=${2:-Tests/LibWebSocketsTests/Docs/ReadmeExamplesTests.swift}
for f in "$readme" "$tests"; do
    [ -f "$f" ] || { echo "check-readme-snippets: no file $f" >&2; exit 2; }
done

awk -v readme="$readme" -v tests="$tests" '
    function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t\r]+$/, "", s); return s }
    BEGIN { marker = "// adapted from README: " }
    # The test file: each line, or the README line it stands for.
    FILENAME == tests {
        i = index($0, marker)
        line = trim(i ? substr($0, i + length(marker)) : $0)
        if (line != "") { n++; testLine[n] = line }
        next
    }
    # README.md: walk the ```swift blocks.
    !inBlock && /^```swift[ \t]*$/ {
        inBlock = 1; blocks++; start = FNR; first = ""; pos = 0; missing = 0
        next
    }
    inBlock && /^```[ \t]*$/ {
        inBlock = 0
        if (missing) failed++
        else printf "ok    block %d (%s:%d) %s\n", blocks, readme, start, first
        next
    }
    inBlock {
        line = trim($0)
        if (line == "" || missing) next
        if (first == "") first = line
        for (j = pos + 1; j <= n && testLine[j] != line; j++) {}
        if (j <= n) { pos = j; next }
        missing = 1
        printf "FAIL  block %d (%s:%d) %s\n", blocks, readme, start, first
        printf "      line %d is not in %s after the block'\''s earlier lines:\n", FNR, tests
        printf "      %s\n", line
    }
    END {
        if (inBlock) { printf "FAIL  block %d (%s:%d) has no closing fence\n", blocks, readme, start; exit 1 }
        if (blocks == 0) { printf "FAIL  no ```swift blocks in %s\n", readme; exit 1 }
        if (failed) {
            printf "%d of %d README swift blocks are not verbatim in %s\n", failed, blocks, tests
            printf "(update the test, or mark a changed line with \"%s<README line>\")\n", marker
            exit 1
        }
        printf "all %d README swift blocks are in %s\n", blocks, tests
    }
' "$tests" "$readme"
