package io.choria.natsoperator.reconciler;

/** Every condition reason the operator sets; the README's troubleshooting table lists each. */
public final class Reasons {
    private Reasons() {}

    // Ready
    public static final String BROKERS_READY = "BrokersReady";
    public static final String BROKERS_NOT_READY = "BrokersNotReady";
    public static final String INVALID_SPEC = io.choria.natsoperator.model.SpecValidator.INVALID_SPEC;
    public static final String ROUTE_PASSWORD_SECRET_NOT_FOUND = "RoutePasswordSecretNotFound";
    public static final String ROUTE_PASSWORD_KEY_MISSING = "RoutePasswordKeyMissing";
    public static final String ROUTE_PASSWORD_EMPTY = "RoutePasswordEmpty";
    public static final String OBJECT_NOT_OWNED = "ObjectNotOwned";
    // CertificateReady (and Ready when the CA cannot be used: the pki reasons, PkiException.Reason)
    public static final String CA_SECRET_NOT_FOUND = io.choria.natsoperator.inputs.BrokerCertificates.CA_SECRET_NOT_FOUND;
    public static final String CERTIFICATE_VALID = io.choria.natsoperator.inputs.BrokerCertificates.CERTIFICATE_VALID;
    public static final String TLS_NOT_CONFIGURED = io.choria.natsoperator.inputs.BrokerCertificates.TLS_NOT_CONFIGURED;
    // Progressing
    public static final String CREATING = "Creating";
    public static final String SCALING_UP = "ScalingUp";
    public static final String SCALING_DOWN = "ScalingDown";
    public static final String ROLLING_UPDATE = "RollingUpdate";
    public static final String STABLE = "Stable";
    public static final String BLOCKED = "Blocked";
    // Degraded
    public static final String AS_EXPECTED = "AsExpected";
    public static final String BROKERS_UNAVAILABLE = "BrokersUnavailable";
    // RoutesMeshed (io.choria.natsoperator.mesh.MeshChecker)
    public static final String FULL_MESH = "FullMesh";
    public static final String BROKER_UNREACHABLE = "BrokerUnreachable";
    public static final String ROUTES_INCOMPLETE = "RoutesIncomplete";
    public static final String UNEXPECTED_PEERS = "UnexpectedPeers";
}
