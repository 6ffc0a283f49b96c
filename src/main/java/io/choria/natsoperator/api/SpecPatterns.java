package io.choria.natsoperator.api;

/**
 * Patterns of the CRD schema for strings that reach other objects or files (nats.conf, the pod,
 * the certificate). They are plain RE2 (the API server) and Java regexes alike, so
 * {@code SpecValidator} checks the very same text.
 */
public final class SpecPatterns {
    /** No control character (C0, DEL): no newline can split a value into a second one. */
    public static final String NO_CONTROL_CHARS = "^[^\\x00-\\x1f\\x7f]*$";
    /** An image reference: no whitespace or control character. */
    public static final String IMAGE = "^[^\\x00-\\x20\\x7f]+$";
    private static final String DNS_LABEL = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";
    /** RFC 1123 DNS name: lower-case labels of 1-63 characters joined by dots (the length, at most 253, is checked apart). */
    public static final String DNS_NAME = "^" + DNS_LABEL + "(\\." + DNS_LABEL + ")*$";
    private static final String IPV4 = "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
    /** The shape of an IPv6 address (the operator parses it precisely). */
    private static final String IPV6_SHAPE = "[0-9a-fA-F]{0,4}(:[0-9a-fA-F]{0,4}){2,7}(:" + IPV4 + ")?";
    /** A certificate SAN: a DNS name or an IP address. */
    public static final String SAN = "^(" + DNS_LABEL + "(\\." + DNS_LABEL + ")*|" + IPV6_SHAPE + ")$";
    /** An IPv4 or IPv6 CIDR (the operator parses it precisely). */
    public static final String CIDR = "^(" + IPV4 + "/([0-9]|[12][0-9]|3[0-2])|" + IPV6_SHAPE + "/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))$";
    /** A NATS cluster (and gateway) name: no whitespace, no dot (subjects of gateway replies carry it), a DNS-label-like length. */
    public static final String CLUSTER_NAME = "^[A-Za-z0-9][-_A-Za-z0-9]{0,62}$";
    /** Prefix of server_name: nats-server 2.10 refuses whitespace in server_name. */
    public static final String SERVER_NAME_PREFIX = "^[-_.A-Za-z0-9]{0,40}$";
    /** A gateway or leaf node URL: nats:// or tls://, host:port, no credentials (the URL sits in a ConfigMap), no path. */
    public static final String NATS_URL = "^(nats|tls)://[^\\x00-\\x20\\x7f\"@/]+$";
    public static final int MAX_DNS_NAME = 253;
    public static final int MAX_EXTRA_SANS = 100;

    private SpecPatterns() {}
}
