package org.editstream.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Ports for the servers started on this machine. */
public final class Ports {
    private Ports() {
    }

    /** A port free on {@code address} now (its server binds it a moment later). */
    public static int free(String address) {
        return free(address, 1)[0];
    }

    /**
     * {@code count} different ports free on {@code address} now: each stays bound until all are drawn, so the system
     * cannot hand the same one out twice (a server with two listeners needs two).
     */
    public static int[] free(String address, int count) {
        ServerSocket[] sockets = new ServerSocket[count];
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                sockets[i] = new ServerSocket(0, 1, InetAddress.getByName(address));
                ports[i] = sockets[i].getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (ServerSocket socket : sockets) {
                if (socket != null) {
                    try {
                        socket.close();
                    } catch (IOException ignored) {
                        // the port is free again either way
                    }
                }
            }
        }
    }
}
