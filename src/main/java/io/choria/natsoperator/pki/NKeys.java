package io.choria.natsoperator.pki;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * A NATS user nkey (Ed25519), as nats-server and the nkeys library encode it: the public key {@code U...} that nats.conf
 * names, the seed {@code SU...} a person gives the {@code nats} CLI, and the signature of the server's nonce that a client
 * sends in CONNECT. The operator's own connections use them where a certificate cannot: with spec.authorization every
 * certificate on the client port is mapped to the user of its name ({@code verify_and_map}), and nats-server checks an nkey
 * before that mapping (auth.go processClientOrLeafAuthentication, 2.9.10 and 2.10.x). The seed is derived from a secret
 * the operator already keeps (HMAC-SHA256), so nothing new is stored and render computes the same key.
 */
public record NKeys(byte[] seed) {
    private static final int PREFIX_USER = 20 << 3; // 'U'
    private static final int PREFIX_SEED = 18 << 3; // 'S'
    private static final char[] BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".toCharArray();

    public NKeys {
        if (seed.length != 32) throw new IllegalArgumentException("an Ed25519 seed is 32 bytes");
        seed = seed.clone();
    }

    /** The user nkey derived from {@code secret} under {@code label}: the same for every caller that holds the secret. */
    public static NKeys derived(String secret, String label) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return new NKeys(mac.doFinal(label.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }

    /** Reads a user seed as {@link #encodedSeed} writes it (from a Secret); refuses anything else, checksum included. */
    public static NKeys parseSeed(String encoded) {
        byte[] raw = decode(encoded.strip());
        if (raw.length != 36 || (raw[0] & 0xf8) != PREFIX_SEED || (((raw[0] & 7) << 5) | ((raw[1] & 0xff) >> 3)) != PREFIX_USER) {
            throw new IllegalArgumentException("not a NATS user seed");
        }
        int crc = (raw[34] & 0xff) | ((raw[35] & 0xff) << 8);
        if (crc != crc16(java.util.Arrays.copyOf(raw, 34))) throw new IllegalArgumentException("the seed's checksum does not match");
        return new NKeys(java.util.Arrays.copyOfRange(raw, 2, 34));
    }

    private static byte[] decode(String base32) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int buffer = 0, bits = 0;
        for (char ch : base32.toCharArray()) {
            int v = new String(BASE32).indexOf(ch);
            if (v < 0) throw new IllegalArgumentException("not base32");
            buffer = (buffer << 5) | v;
            bits += 5;
            if (bits >= 8) {
                out.write((buffer >> (bits - 8)) & 0xff);
                bits -= 8;
            }
        }
        return out.toByteArray();
    }

    /** The public key as nats.conf names a user: {@code U} and 55 more base32 characters. */
    public String publicKey() {
        byte[] pub = new Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded();
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        raw.write(PREFIX_USER);
        raw.writeBytes(pub);
        return encode(raw.toByteArray());
    }

    /** The seed as the nkeys library writes it ({@code SU...}): what {@code nats --nkey} reads from a file. */
    public String encodedSeed() {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        raw.write(PREFIX_SEED | (PREFIX_USER >> 5));
        raw.write((PREFIX_USER & 31) << 3);
        raw.writeBytes(seed);
        return encode(raw.toByteArray());
    }

    /** The CONNECT {@code sig}: the server's nonce (as sent, ASCII) signed, base64url without padding. */
    public String sign(String nonce) {
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, new Ed25519PrivateKeyParameters(seed, 0));
        byte[] message = nonce.getBytes(StandardCharsets.US_ASCII);
        signer.update(message, 0, message.length);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(signer.generateSignature());
    }

    @Override
    public String toString() {
        return "NKeys[" + publicKey() + "]"; // never the seed
    }

    /** Prefixed bytes, their CRC-16 (XMODEM, little-endian), in unpadded base32. */
    private static String encode(byte[] prefixed) {
        int crc = crc16(prefixed);
        byte[] all = new byte[prefixed.length + 2];
        System.arraycopy(prefixed, 0, all, 0, prefixed.length);
        all[prefixed.length] = (byte) crc;
        all[prefixed.length + 1] = (byte) (crc >> 8);
        StringBuilder b = new StringBuilder();
        int buffer = 0, bits = 0;
        for (byte x : all) {
            buffer = (buffer << 8) | (x & 0xff);
            bits += 8;
            while (bits >= 5) {
                b.append(BASE32[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0) b.append(BASE32[(buffer << (5 - bits)) & 31]);
        return b.toString();
    }

    private static int crc16(byte[] data) {
        int crc = 0;
        for (byte x : data) {
            crc ^= (x & 0xff) << 8;
            for (int i = 0; i < 8; i++) crc = (crc & 0x8000) != 0 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
        }
        return crc;
    }
}
