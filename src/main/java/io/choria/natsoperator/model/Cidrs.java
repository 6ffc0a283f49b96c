package io.choria.natsoperator.model;

import org.bouncycastle.util.IPAddress;

/** IP literals and CIDRs by syntax alone: nothing here resolves a host name. */
final class Cidrs {
    private Cidrs() {}

    /** An IPv4 or IPv6 address literal (as the certificate issues it: an IP SAN). */
    static boolean isIpLiteral(String s) {
        return s != null && IPAddress.isValid(s);
    }

    /** Why {@code cidr} is not an IPv4 or IPv6 CIDR, or null when it is one. */
    static String problem(String cidr) {
        if (cidr == null || cidr.isEmpty()) return "empty";
        int slash = cidr.indexOf('/');
        if (slash < 0) return "no prefix length (e.g. 10.0.0.0/8, 2001:db8::/32)";
        String address = cidr.substring(0, slash), prefix = cidr.substring(slash + 1);
        int max;
        if (IPAddress.isValidIPv4(address)) max = 32;
        else if (IPAddress.isValidIPv6(address)) max = 128;
        else return "'" + SpecValidator.quote(address).replace("'", "") + "' is not an IPv4 or IPv6 address";
        if (prefix.isEmpty() || prefix.length() > 3 || !prefix.chars().allMatch(c -> c >= '0' && c <= '9')
                || Integer.parseInt(prefix) > max) {
            return "the prefix length must be 0-" + max;
        }
        return null;
    }
}
