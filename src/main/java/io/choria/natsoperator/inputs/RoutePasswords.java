package io.choria.natsoperator.inputs;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.api.SecretKeyReference;
import io.choria.natsoperator.api.TlsSpec;
import io.choria.natsoperator.model.BrokerSecrets;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.Owned;
import io.fabric8.kubernetes.api.model.Secret;
import java.util.function.Function;

/**
 * Finds the route password: read from the user's Secret (never written), or from the Secret
 * the operator generated once. Used by the reconciler and by {@code render}, each with its own
 * way to look a Secret up.
 *
 * <p>The password is copied into {@code <name>-routes-config}, which every broker mounts, so a
 * reference that points at something other than a password would hand that to every broker
 * pod. Refused, before anything is written: a Secret the operator uses for something else (the
 * CA Secret, {@code <name>-tls}, {@code <name>-routes-config}, any other Secret a NatsCluster
 * owns) and a value that is not a plain password (see {@link #notAPassword}). Naming the
 * generated {@code <name>-routes} (of this or another NatsCluster) is allowed: it holds only a
 * route password. No message here ever carries the value.
 */
public final class RoutePasswords {
    /**
     * Longest password accepted. Route passwords are short shared secrets (the generated one
     * has 32 characters); what is longer is most likely something else: a service account
     * token (a JWT of hundreds of characters), a key, a certificate, a kubeconfig. 128 leaves
     * room for any passphrase a person or a password generator would choose.
     */
    public static final int MAX_LENGTH = 128;

    private RoutePasswords() {}

    public static SecretKeyReference reference(NatsCluster nc) {
        SecretKeyReference ref = nc.getSpec().getRoutes().getPasswordSecretRef();
        if (ref != null) {
            return new SecretKeyReference(ref.getName(), ref.getKey() != null ? ref.getKey() : BrokerSecrets.PASSWORD_KEY);
        }
        return null;
    }

    /** The password from the user's Secret; an InputProblem when it cannot be had. */
    public static String fromUserSecret(NatsCluster nc, Function<String, Secret> lookup) {
        SecretKeyReference ref = reference(nc);
        String inUse = usedForSomethingElse(nc, ref.getName());
        if (inUse != null) {
            throw new InputProblem(Reason.RoutePasswordSecretInUse, "route password Secret '" + ref.getName()
                    + "' (spec.routes.passwordSecretRef) is " + inUse + "; name a Secret that holds only the route password");
        }
        Secret secret = lookup.apply(ref.getName());
        if (secret == null) {
            throw new InputProblem(Reason.RoutePasswordSecretNotFound, "route password Secret '" + ref.getName()
                    + "' (spec.routes.passwordSecretRef) not found in namespace " + nc.getMetadata().getNamespace());
        }
        String password = decode(secret, ref.getKey());
        if (password == null) {
            throw new InputProblem(Reason.RoutePasswordKeyMissing, "route password Secret '" + ref.getName()
                    + "' has no key '" + ref.getKey() + "'");
        }
        if (password.isBlank()) {
            throw new InputProblem(Reason.RoutePasswordEmpty, "route password in Secret '" + ref.getName()
                    + "' key '" + ref.getKey() + "' is empty");
        }
        String owner = ownedElsewhere(secret);
        if (owner != null) {
            throw new InputProblem(Reason.RoutePasswordSecretInUse, "route password Secret '" + ref.getName()
                    + "' (spec.routes.passwordSecretRef) is owned by NatsCluster '" + owner
                    + "' for something else; name a Secret that holds only the route password");
        }
        // leading and trailing whitespace (a newline from `echo pw > file`) is not part of it
        String stripped = password.strip();
        String why = notAPassword(stripped);
        if (why != null) {
            throw new InputProblem(Reason.RoutePasswordNotAPassword, "route password in Secret '" + ref.getName()
                    + "' key '" + ref.getKey() + "' is not a plain password: it " + why);
        }
        return stripped;
    }

    /**
     * Why {@code value} is not a plain password, or null when it is one: one line of printable
     * ASCII without whitespace, at most {@link #MAX_LENGTH} characters, no PEM block. The
     * answer never quotes the value.
     */
    public static String notAPassword(String value) {
        if (value.contains("-----BEGIN")) return "contains a PEM block (a key or a certificate)";
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c > 0x7e || (c < 0x20 && !Character.isWhitespace(c))) {
                return "contains non-printable or non-ASCII bytes (binary data)";
            }
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.isWhitespace(value.charAt(i))) return "contains whitespace";
        }
        if (value.length() > MAX_LENGTH) return "is longer than " + MAX_LENGTH + " characters";
        return null;
    }

    /**
     * The value, or an InputProblem naming the Secret and key when its data is not base64 (the API
     * server never stores such a Secret, but a file given to {@code render} may hold one).
     */
    private static String decode(Secret secret, String key) {
        try {
            return BrokerSecrets.decode(secret, key);
        } catch (IllegalArgumentException e) {
            throw new InputProblem(Reason.RoutePasswordNotAPassword, "route password Secret '" + secret.getMetadata().getName()
                    + "' key '" + key + "' is not base64 (data values are base64; use stringData for plain text)");
        }
    }

    /** What the named Secret is already used for by this NatsCluster, or null. */
    static String usedForSomethingElse(NatsCluster nc, String secretName) {
        Names names = new Names(nc.getMetadata().getName(), nc.getMetadata().getNamespace(), Names.DEFAULT_CLUSTER_DOMAIN);
        TlsSpec tls = nc.getSpec().getTls();
        if (tls != null && tls.getCaSecretRef() != null && secretName.equals(tls.getCaSecretRef().getName())) {
            return "the CA Secret (spec.tls.caSecretRef)";
        }
        var puppet = tls != null ? tls.getPuppet() : null;
        if (puppet != null && puppet.getCaBundleSecretRef() != null && secretName.equals(puppet.getCaBundleSecretRef().getName())) {
            return "the Puppet CA bundle Secret (spec.tls.puppet.caBundleSecretRef)";
        }
        if (puppet != null && puppet.getChallengePasswordSecretRef() != null && secretName.equals(puppet.getChallengePasswordSecretRef().getName())) {
            return "the autosign challenge password Secret (spec.tls.puppet.challengePasswordSecretRef)";
        }
        if (secretName.equals(names.certificateRequestSecret())) return "the certificate request Secret the operator writes";
        if (secretName.equals(names.tlsSecret())) return "the broker certificate Secret the operator writes";
        if (secretName.equals(names.routesConfigSecret())) return "the routes Secret the operator writes";
        return null;
    }

    /**
     * The NatsCluster that owns {@code secret}, when it is not a generated route password
     * ({@code <owner>-routes}); null otherwise.
     */
    static String ownedElsewhere(Secret secret) {
        var meta = secret.getMetadata();
        if (meta == null || meta.getOwnerReferences() == null) return null;
        for (var ref : meta.getOwnerReferences()) {
            if ("NatsCluster".equals(ref.getKind()) && ref.getName() != null
                    && !new Names(ref.getName(), meta.getNamespace(), Names.DEFAULT_CLUSTER_DOMAIN).routePasswordSecret().equals(meta.getName())) {
                return ref.getName();
            }
        }
        return null;
    }

    /**
     * As {@link #fromGeneratedSecret(Secret, Names)}, for the reconciler: a {@code <name>-routes}
     * that this NatsCluster does not own (made by hand, by another tool, or by another
     * NatsCluster) is someone else's Secret, and its value must not become the route password
     * that every broker mounts: {@code ObjectNotOwned}, as for any other object in the way.
     */
    public static String fromGeneratedSecret(Secret existing, Names names, NatsCluster owner) {
        if (existing != null && !Owned.isOwnedBy(existing.getMetadata(), owner)) {
            throw new InputProblem(Reason.ObjectNotOwned, "Secret " + names.routePasswordSecret() + " already exists and is not"
                    + " owned by this NatsCluster; the operator will not use it as the generated route password: rename or delete"
                    + " it, or name it in spec.routes.passwordSecretRef if it is meant to be the route password");
        }
        return fromGeneratedSecret(existing, names);
    }

    /**
     * The generated Secret's password, or null (the caller makes a new one and creates the
     * Secret). No ownership check: {@code render} is handed the Secret by its user.
     */
    public static String fromGeneratedSecret(Secret existing, Names names) {
        String password = decode(existing, BrokerSecrets.PASSWORD_KEY);
        if (existing != null && (password == null || password.isBlank())) {
            throw new InputProblem(Reason.RoutePasswordEmpty, "generated route password Secret '"
                    + names.routePasswordSecret() + "' has no password; delete it to have a new one generated");
        }
        return password;
    }
}
