package io.choria.natsoperator.model;

import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The in-pod half of {@link PinnedList}: POSIX sh (the broker image's busybox; GNU tools as well) that builds
 * {@code pinned_certs.conf} from the projected manifest and parts. The init container runs it before the broker starts
 * (the broker must never start without its list: nats.conf includes the file, and a broker without it would not start),
 * and the config-reloader runs it again whenever a part or the manifest changes ({@link ConfigReloader}).
 *
 * <p>It fails closed: nothing is written unless the manifest names the epoch entry and the part count this script knows,
 * and every part carries the version and key count the manifest names (Kubernetes updates each ConfigMap of a projected
 * volume from its own cache, so a pod may briefly see a mixed set). The file is written beside its final place and
 * renamed over it, so the broker never reads half a list; the epoch entry is always its first entry.
 */
public final class PinnedListAssembler {
    public static final String INIT_CONTAINER = "pinned-list";
    /** How long the init container waits for a consistent set before it fails (the kubelet then restarts it, with back-off). */
    static final int INIT_WAIT_SECONDS = 300;

    private PinnedListAssembler() {}

    /** Defines {@code assemble_pinned}: 0 when a consistent list was written, 1 (and why on stderr) when not. */
    public static String function(BrokerPaths paths) {
        String parts = IntStream.range(0, PinnedList.PARTS).mapToObj(PinnedList::partName).collect(Collectors.joining(" "));
        return """
                assemble_pinned() {
                  src='%1$s'; out='%2$s'; snap='%6$s'; users='%10$s'
                  rm -rf "$snap" && mkdir -p "$snap" || { echo "pinned list: cannot make $snap" >&2; return 1; }
                  cp "$src/%3$s" "$snap/" 2>/dev/null || { echo "pinned list: no manifest yet" >&2; return 1; }
                  m="$snap/%3$s"
                  epoch=$(sed -n 's/^epoch \\([0-9a-f]\\{64\\}\\)$/\\1/p' "$m")
                  [ -n "$epoch" ] || { echo "pinned list: the manifest names no epoch entry" >&2; return 1; }
                  [ "$(sed -n 's/^parts //p' "$m")" = "%4$d" ] || { echo "pinned list: the manifest is not of %4$d parts" >&2; return 1; }
                  for x in %5$s; do
                    want=$(sed -n "s/^part $x //p" "$m")
                    [ -n "$want" ] || { echo "pinned list: the manifest names no part $x" >&2; return 1; }
                    # One copy of each file: its version line and its keys are then of the same update.
                    cp "$src/part-$x" "$snap/" 2>/dev/null || { echo "pinned list: part $x not there yet" >&2; return 1; }
                    have=$(head -n 1 "$snap/part-$x")
                    [ "$have" = "version $want" ] || { echo "pinned list: part $x is not yet at version $want" >&2; return 1; }
                    n=$(grep -c '^[0-9a-f]\\{64\\}' "$snap/part-$x")
                    [ "version ${want%%%% *} $n" = "$have" ] || { echo "pinned list: part $x holds $n keys, not as its version says" >&2; return 1; }
                  done
                  tmp="$out.tmp"
                  {
                    echo "# assembled by the pod from the parts of the pinned list: the first entry is the epoch, it matches no key"
                    echo 'pinned_certs: ['
                    echo "  \\"$epoch\\""
                    for x in %5$s; do sed -n 's/^\\([0-9a-f]\\{64\\}\\).*$/  "\\1"/p' "$snap/part-$x"; done
                    echo ']'
                  } > "$tmp" || { rm -f "$tmp"; echo "pinned list: cannot write $tmp" >&2; return 1; }
                  if grep -q '^users ' "$m"; then
                    # spec.authorization: a user per entry that names one, from its role's template in the manifest.
                    utmp="$users.tmp"
                    {
                      echo "# assembled by the pod from the parts of the pinned list and the roles in its manifest"
                      echo 'users: ['
                      sed -n 's/^users /  /p' "$m"
                      # fill, not gsub: mawk 1.3.4 (Debian's awk, so `local`) slows with every distinct replacement string
                      # gsub has seen: N certnames took time in N squared (50,000: 14-25 s). fill: 0.1 s there, 0.6 s in busybox.
                      awk 'function fill(u, hole, v,  i, out) { out = ""; while ((i = index(u, hole)) > 0) { out = out substr(u, 1, i - 1) v; u = substr(u, i + length(hole)) } return out u }
                        FNR == NR { if ($1 == "role") t[$2] = substr($0, length($1) + length($2) + 3); next }
                        NF >= 3 && ($2 in t) { print "  " fill(fill(fill(t[$2], "%7$s", $3), "%8$s", $4), "%9$s", $5) }' \\
                        "$m" $(for x in %5$s; do echo "$snap/part-$x"; done)
                      echo ']'
                    } > "$utmp" || { rm -f "$utmp" "$tmp"; echo "pinned list: cannot write $utmp" >&2; return 1; }
                    # The users first: a reload between the two moves sees a new node's user without its key (refused a
                    # moment longer) or a revoked node's key without its user (refused at once), never the reverse.
                    mv -f "$utmp" "$users" || return 1
                  fi
                  mv -f "$tmp" "$out" || return 1
                  rm -rf "$snap"
                  echo "pinned list: assembled epoch $epoch"
                }
                """.formatted(paths.pinnedPartsDir(), paths.pinnedFile(), PinnedList.MANIFEST, PinnedList.PARTS, parts, paths.pinnedDir() + "/.parts",
                ChoriaPermissions.CERTNAME_HOLE, ChoriaPermissions.MD5_HOLE, ChoriaPermissions.SHA256_HOLE,
                paths.pinnedDir() + "/" + ChoriaPermissions.USERS_FILE);
    }

    /** The init container's script: assemble, retrying while the parts are not yet consistent, for at most a while. */
    public static String initScript(BrokerPaths paths) {
        return function(paths) + """
                i=0
                until assemble_pinned; do
                  i=$((i + 2))
                  [ "$i" -lt %d ] || { echo "pinned list: no consistent set of parts after %d s" >&2; exit 1; }
                  sleep 2
                done
                """.formatted(INIT_WAIT_SECONDS, INIT_WAIT_SECONDS);
    }
}
