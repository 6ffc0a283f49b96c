package io.choria.natsoperator.puppet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The list's epoch moves only when the keys change; an unchanged list takes the sync's key Strings (shared by every cluster). */
class PinnedKeysTest {
    static final String A = "a".repeat(64), B = "b".repeat(64);

    @Test
    void theSameKeysKeepTheEpochAndTakeTheSyncsStrings() {
        PinnedKeys readBack = PinnedKeys.parse(PinnedKeys.none().with(List.of(A, B)).render("ns", "broker"), "ns", "broker");
        assertEquals(1, readBack.epoch());
        String a = new String(A.toCharArray()), b = new String(B.toCharArray()); // the sync's own instances
        PinnedKeys same = readBack.with(Set.of(a, b));
        assertEquals(1, same.epoch(), "unchanged keys: the same epoch, nothing to write");
        assertEquals(readBack.admitted(), same.admitted());
        assertSame(a, same.admitted().first(), "the sync's String, not the one parsed from the written list");
        assertSame(b, same.admitted().last());
        assertEquals(2, same.with(Set.of(a)).epoch(), "a key dropped moves the epoch on");
    }

    /** The carried list holds the cluster's sorted keys, not a second sorted copy of them, and nobody can change them. */
    @Test
    void theCarriedListSharesTheKeysAndTheyCannotChange() {
        PinnedKeys pins = PinnedKeys.none().with(List.of(A, B));
        assertSame(pins.admitted(), pins.list("ns", "broker").keys());
        org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class, () -> pins.admitted().add(A));
    }
}
