package io.choria.natsoperator.inputs;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.api.SecretKeyReference;
import io.choria.natsoperator.model.BrokerSecrets;
import io.choria.natsoperator.model.Names;
import io.fabric8.kubernetes.api.model.Secret;
import java.util.function.Function;

/**
 * Finds the route password: read from the user's Secret (never written), or from the Secret
 * the operator generated once. Used by the reconciler and by {@code render}, each with its own
 * way to look a Secret up.
 */
public final class RoutePasswords {
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
        Secret secret = lookup.apply(ref.getName());
        if (secret == null) {
            throw new InputProblem(Reason.RoutePasswordSecretNotFound, "route password Secret '" + ref.getName()
                    + "' (spec.routes.passwordSecretRef) not found in namespace " + nc.getMetadata().getNamespace());
        }
        String password = BrokerSecrets.decode(secret, ref.getKey());
        if (password == null) {
            throw new InputProblem(Reason.RoutePasswordKeyMissing, "route password Secret '" + ref.getName()
                    + "' has no key '" + ref.getKey() + "'");
        }
        if (password.isBlank()) {
            throw new InputProblem(Reason.RoutePasswordEmpty, "route password in Secret '" + ref.getName()
                    + "' key '" + ref.getKey() + "' is empty");
        }
        return password.strip();
    }

    /** The generated Secret's password, or a new one (the caller creates the Secret). */
    public static String fromGeneratedSecret(Secret existing, Names names) {
        String password = BrokerSecrets.decode(existing, BrokerSecrets.PASSWORD_KEY);
        if (existing != null && (password == null || password.isBlank())) {
            throw new InputProblem(Reason.RoutePasswordEmpty, "generated route password Secret '"
                    + names.routePasswordSecret() + "' has no password; delete it to have a new one generated");
        }
        return password;
    }
}
