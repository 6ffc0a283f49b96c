package io.choria.natsoperator.testing;

import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.SimpleType;
import dev.cel.extensions.CelExtensions;
import dev.cel.runtime.CelEvaluationException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CEL as Kubernetes runs it, as far as cel-java (dev.cel) goes: the standard definitions and
 * macros (has, all, exists, exists_one, map, filter, matches, startsWith, size, duration, ...)
 * plus the strings extension (substring, indexOf, ...), which Kubernetes also offers. Kubernetes'
 * own libraries (lists' isSorted, quantity, url, ip, cidr, authz, ...) are not declared: an
 * expression using one fails to compile here, and the test says so, rather than being passed.
 *
 * <p>Values are what the API server hands CEL for a ValidatingAdmissionPolicy: the object as
 * unstructured JSON (maps, lists, strings, int64, float64, booleans; no nulls), with {@code object}
 * and friends declared {@code dyn}. RE2 semantics for {@code matches} (dev.cel uses re2j).
 */
public final class KubeCel {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private final Cel cel;

    private KubeCel(Cel cel) {
        this.cel = cel;
    }

    private static dev.cel.bundle.CelBuilder base() {
        return CelFactory.standardCelBuilder()
                .setStandardMacros(dev.cel.parser.CelStandardMacro.STANDARD_MACROS)
                .setOptions(CelOptions.current().enableHeterogeneousNumericComparisons(true).build())
                .addCompilerLibraries(CelExtensions.strings())
                .addRuntimeLibraries(CelExtensions.strings());
    }

    /** A ValidatingAdmissionPolicy's variables: object, oldObject, request, params, namespaceObject, variables. */
    public static KubeCel admissionPolicy() {
        var b = base();
        for (String v : List.of("object", "oldObject", "request", "params", "namespaceObject", "variables")) b.addVar(v, SimpleType.DYN);
        return new KubeCel(b.build());
    }

    /** An x-kubernetes-validations rule: self (and oldSelf, for transition rules). */
    public static KubeCel crdRule() {
        return new KubeCel(base().addVar("self", SimpleType.DYN).addVar("oldSelf", SimpleType.DYN).build());
    }

    /** Compiles (parses and type-checks) an expression; fails with the compiler's message. */
    public CelAbstractSyntaxTree compile(String expression) {
        try {
            return cel.compile(expression).getAst();
        } catch (CelValidationException e) {
            throw new AssertionError("CEL does not compile: " + e.getMessage() + "\n" + expression, e);
        }
    }

    /** Evaluates a compiled expression; a CEL evaluation error is thrown as is. */
    public Object eval(CelAbstractSyntaxTree ast, Map<String, ?> vars) throws CelEvaluationException {
        return cel.createProgram(ast).eval(vars);
    }

    /** A Kubernetes object (fabric8 model or map) as the API server gives it to CEL. */
    public static Map<String, Object> unstructured(Object o) {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) normalise(SERIALIZATION.convertValue(o, Map.class));
        return m;
    }

    /** JSON numbers as CEL's int (long) and double; nulls dropped, as in unstructured JSON. */
    public static Object normalise(Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> {
                if (x != null) out.put((String) k, normalise(x));
            });
            return out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            for (Object x : l) out.add(normalise(x));
            return out;
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
        if (v instanceof Float) return ((Float) v).doubleValue();
        if (v instanceof java.math.BigInteger b) return b.longValueExact();
        if (v instanceof java.math.BigDecimal d) return d.doubleValue();
        return v;
    }

    /** A deep, mutable copy of an unstructured value, for hostile variants. */
    @SuppressWarnings("unchecked")
    public static <T> T copy(T v) {
        return (T) normalise(v);
    }
}
