package io.choria.natsoperator.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/**
 * How {@link RbacCoverageTest} turns a recorded request into the permission RBAC checks: informers' list and
 * watch told apart (a watch is a GET with watch=true), a named GET, a subresource, a delete of one object or of a
 * collection, and discovery (no permission). Unit-level: it runs in the fast loop, unlike the coverage test.
 */
class RbacRequestClassificationTest {
    static RbacCoverageTest.Permission p(String group, String resource, String verb, String namespace) {
        return new RbacCoverageTest.Permission(group, resource, verb, namespace);
    }

    static RbacCoverageTest.Permission of(String method, String path) {
        return RbacCoverageTest.permission(method, path);
    }

    @Test
    void requestsAreClassifiedAsRbacSeesThem() {
        assertEquals(p("", "secrets", "list", "a"), of("GET", "/api/v1/namespaces/a/secrets?labelSelector=x%3Dy"));
        assertEquals(p("", "secrets", "list", "a"),
                of("GET", "/api/v1/namespaces/a/secrets?fieldSelector=metadata.name%3Dca"));
        assertEquals(p("", "secrets", "watch", "a"),
                of("GET", "/api/v1/namespaces/a/secrets?allowWatchBookmarks=true&resourceVersion=5&watch=true"));
        assertEquals(p("", "secrets", "watch", null), of("GET", "/api/v1/secrets?watch=1"));
        assertEquals(p("", "secrets", "watch", "a"), of("GET", "/api/v1/watch/namespaces/a/secrets"));
        assertEquals(p("", "secrets", "get", "a"), of("GET", "/api/v1/namespaces/a/secrets/ca"));
        assertEquals(p("", "secrets", "list", "a"), of("GET", "/api/v1/namespaces/a/secrets?watch=false"));
        assertEquals(p("choria.io", "natsclusters", "watch", null),
                of("GET", "/apis/choria.io/v1alpha1/natsclusters?resourceVersion=1&watch=true"));
        assertEquals(p("choria.io", "natsclusters/status", "update", "a"),
                of("PUT", "/apis/choria.io/v1alpha1/namespaces/a/natsclusters/broker/status"));
        assertEquals(p("", "secrets", "delete", "a"), of("DELETE", "/api/v1/namespaces/a/secrets/x"));
        assertEquals(p("", "secrets", "deletecollection", "a"), of("DELETE", "/api/v1/namespaces/a/secrets?labelSelector=x"));
        assertEquals(p("", "namespaces", "get", null), of("GET", "/api/v1/namespaces/a"));
        assertNull(of("GET", "/apis/monitoring.coreos.com/v1"));
        assertNull(of("GET", "/version"));
    }
}
