package io.choria.natsoperator.bench;

import io.choria.natsoperator.api.TlsSpec.KeyAlgorithm;
import io.choria.natsoperator.pki.CertificateAuthority;
import io.choria.natsoperator.pki.ServerCertificateRequest;
import io.choria.natsoperator.pki.TestCa;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * How long one broker certificate takes to issue, key generation included, for each key algorithm.
 * Not a unit test: run with {@code bench/run CertificateIssueBench [ecCount] [rsaCount]}.
 * Each algorithm is issued from both an RSA and an EC CA; the leaf key generation dominates.
 */
public final class CertificateIssueBench {

    private static final List<String> SANS = List.of("broker-0.broker-headless.choria.svc.cluster.local",
            "broker-1.broker-headless.choria.svc.cluster.local", "broker-2.broker-headless.choria.svc.cluster.local",
            "broker.choria.svc", "puppet");

    public static void main(String[] args) {
        int ecCount = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int rsaCount = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        CertificateAuthority rsaCa = TestCa.rsaRoot("Bench RSA CA").load();
        CertificateAuthority ecCa = TestCa.ecRoot("Bench EC CA").load();

        System.out.printf("java %s, %d cores, %d SANs per certificate%n", System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), SANS.size());
        System.out.printf("%-10s %-8s %6s %10s %10s %10s%n", "leaf", "CA", "n", "median ms", "p90 ms", "min ms");
        double ecMedian = 0;
        double rsaMedian = 0;
        for (CertificateAuthority ca : List.of(rsaCa, ecCa)) {
            String caName = ca.signingCertificate().getPublicKey().getAlgorithm();
            double[] ec = measure(ca, KeyAlgorithm.EC_P256, ecCount);
            double[] rsa = measure(ca, KeyAlgorithm.RSA_2048, rsaCount);
            report(KeyAlgorithm.EC_P256, caName, ec);
            report(KeyAlgorithm.RSA_2048, caName, rsa);
            if (ca == rsaCa) {
                // the usual case: a Puppet CA is RSA
                ecMedian = ec[ec.length / 2];
                rsaMedian = rsa[rsa.length / 2];
            }
        }
        System.out.printf("RSA-2048 / EC-P256 median ratio (RSA CA): %.1fx%n", rsaMedian / ecMedian);
    }

    private static double[] measure(CertificateAuthority ca, KeyAlgorithm alg, int n) {
        ServerCertificateRequest req = new ServerCertificateRequest("broker.choria.svc", SANS, alg, 365);
        int warmup = Math.max(5, n / 5);
        for (int i = 0; i < warmup; i++) {
            ca.issue(req, Instant.now());
        }
        double[] ms = new double[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            ca.issue(req, Instant.now());
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return ms;
    }

    private static void report(KeyAlgorithm alg, String caName, double[] sorted) {
        System.out.printf("%-10s %-8s %6d %10.2f %10.2f %10.2f%n", alg.specName(), caName, sorted.length,
                sorted[sorted.length / 2], sorted[(int) Math.ceil(sorted.length * 0.9) - 1], sorted[0]);
    }
}
