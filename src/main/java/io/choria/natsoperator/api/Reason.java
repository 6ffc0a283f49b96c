package io.choria.natsoperator.api;

/**
 * Every reason the operator writes, in status conditions and in Events: part of the public
 * contract, and the README's troubleshooting table lists each. A constant's {@link #name()} is
 * the exact string written (CamelCase, as Kubernetes condition reasons are).
 */
public enum Reason {
    // PodMonitorReady (spec.monitoring.podMonitor)
    PodMonitorCreated,
    PrometheusOperatorMissing,
    // Ready
    BrokersReady,
    BrokersNotReady,
    InvalidSpec,
    PlaintextNotAllowed,
    RoutePasswordSecretNotFound,
    RoutePasswordKeyMissing,
    RoutePasswordEmpty,
    RoutePasswordNotAPassword,
    RoutePasswordSecretInUse,
    ObjectNotOwned,
    /** spec.streams.replicas above spec.size: the managed streams would lose their quorum (refused, as InvalidSpec). */
    StreamReplicasAboveSize,
    // CertificateReady (and Ready when the CA cannot be used)
    CaSecretNotFound,
    CaCertificateMissing,
    CaKeyMissing,
    CaCertificateInvalid,
    CaKeyInvalid,
    CaKeyEncrypted,
    CaKeyMismatch,
    CaNotACertificateAuthority,
    CaExpired,
    // CertificateReady, Puppet enrolment (spec.tls.puppet)
    AwaitingSigning,
    CertificateRequestRefused,
    CertificateNotTrusted,
    KeyGenerationFailed,
    PuppetCAUnreachable,
    CertificateChainInvalid,
    CertificateValid,
    TlsNotConfigured,
    // Progressing
    Creating,
    ScalingUp,
    ScalingDown,
    RollingUpdate,
    Stable,
    Blocked,
    // Degraded
    AsExpected,
    BrokersUnavailable,
    // RoutesMeshed (and Degraded)
    FullMesh,
    BrokerUnreachable,
    RoutesIncomplete,
    UnexpectedPeers,
    // RoutesMeshed, GatewaysConnected, LeafNodesConnected = Unknown: the brokers are polled beside the reconcile
    NotObservedYet,
    ObservationTooOld,
    // GatewaysConnected (only with spec.gateway; BrokerUnreachable too)
    AllGatewaysConnected,
    GatewayMissing,
    // LeafNodesConnected (only with spec.leafnodes; BrokerUnreachable too)
    LeafNodesAccepting,
    AllLeafRemotesConnected,
    LeafRemoteMissing,
    // Ready: a gateway remote's natsClusterRef names no NatsCluster
    GatewayRemoteNotFound,
    // StreamsReady (only with spec.streams; NotObservedYet and ObservationTooOld too)
    StreamsReady,
    StreamsUnavailable,
    StreamReplicasBehind,
    StreamStorageLow,
    // SysctlsApplied (only when refused)
    PrivilegedSysctlsDisabled,
    // ImageHasShell (a warning; present only when the image is known to lack sh)
    ImageLacksShell,
    // StormTuned (a warning; present only when the spec keeps settings measured to slow reconnect storms)
    SlowStormSettings,
    // CapacityAvailable (spec.capacity)
    WithinCapacity,
    CapacityLow,
    ResourcesBelowCapacity,
    // Events only
    CertificateIssued,
    RoutePasswordGenerated,
    /** spec.streams changed the claim templates: the StatefulSet was deleted orphaning its pods and is made anew. */
    StatefulSetReplaced,
    /** spec.streams.storage.size grew: the brokers' existing claims were asked to grow (Normal Event). */
    VolumesExpanding,
    /** A claim could not be grown (the storage class does not allow it, RBAC, ...): a Warning Event with the API server's words. */
    VolumeExpansionRefused,
    CertificateSigned,
    // RevocationEnforced (Puppet enrolment)
    RevocationEnforced,
    RevocationDisabled,
    RevocationStale,
    RevocationListTooOld,
    /** The API server refused a write of the pinned list's ConfigMaps (too large, quota, RBAC): the brokers keep the list last written. */
    PinnedListNotWritten,
    RevocationSyncPending,
    PuppetInventoryForbidden
}
