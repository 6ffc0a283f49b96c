package io.choria.natsoperator.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.choria.natsoperator.api.TlsSpec.KeyAlgorithm;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

class KeyAlgorithmsTest {

    @Test
    void specNamesAreTheJsonNames() {
        KubernetesSerialization json = new KubernetesSerialization();
        for (KeyAlgorithm alg : KeyAlgorithm.values()) {
            assertEquals("\"" + alg.specName() + "\"", json.asJson(alg));
            assertEquals(alg, json.unmarshal("\"" + alg.specName() + "\"", KeyAlgorithm.class));
        }
        assertEquals("RSA-2048", KeyAlgorithm.RSA_2048.specName());
        assertEquals("EC-P256", KeyAlgorithm.EC_P256.specName());
    }

    @Test
    void recognisesGeneratedKeys() throws Exception {
        for (KeyAlgorithm alg : KeyAlgorithm.values()) {
            assertEquals(alg, KeyAlgorithms.of(KeyAlgorithms.generate(alg).getPublic()).orElseThrow());
        }
    }
}
