package io.choria.natsoperator.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * A test class that needs more than a JVM: root, network or mount namespaces, real {@code nats-server}
 * processes or a real Puppet Server. {@code mvn -B test} runs it like every other; the fast loop
 * ({@code mvn -B test -Pfast}) leaves it out, and {@link Tools#require} fails a test that starts such a
 * process without this mark, so the fast loop never hides one.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag(External.TAG)
public @interface External {
    String TAG = "external";
}
