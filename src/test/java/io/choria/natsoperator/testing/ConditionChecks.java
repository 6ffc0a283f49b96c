package io.choria.natsoperator.testing;

import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/** Reading a status's conditions in assertions (the operator itself only ever finds one by type). */
public final class ConditionChecks {
    private ConditionChecks() {}

    /** Whether the condition of {@code type} is present with status True. */
    public static boolean isTrue(List<Condition> conditions, String type) {
        return conditions != null && conditions.stream().anyMatch(c -> type.equals(c.getType()) && "True".equals(c.getStatus()));
    }
}
