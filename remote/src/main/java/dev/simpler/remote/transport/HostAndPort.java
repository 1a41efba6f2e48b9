package dev.simpler.remote.transport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * A UDP endpoint written {@code host:port} (an IPv6 literal in brackets: {@code [::1]:40123}), and the Aeron channels
 * that reach it.
 *
 * @param host the host name or address literal, without brackets.
 * @param port the port, 0..65535 (0: any free port, for a subscription).
 */
public record HostAndPort(String host, int port)
{
    /**
     * Parse {@code host:port}.
     *
     * @param text the endpoint.
     * @param what what it is, for the error message (e.g. "listen address").
     * @return the endpoint.
     * @throws IllegalArgumentException naming the text and what is wrong with it.
     */
    public static HostAndPort parse(final String text, final String what)
    {
        return parse(text, what, false);
    }

    /**
     * Parse {@code host:port}, where port 0 may stand for any free port.
     *
     * @param text           the endpoint.
     * @param what           what it is, for the error message.
     * @param anyPortAllowed whether port 0 is allowed.
     * @return the endpoint.
     * @throws IllegalArgumentException naming the text and what is wrong with it.
     */
    public static HostAndPort parse(final String text, final String what, final boolean anyPortAllowed)
    {
        if (text == null || text.isBlank())
        {
            throw new IllegalArgumentException(what + " must be HOST:PORT, e.g. 198.18.0.2:40123: it is empty");
        }
        final int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1)
        {
            throw new IllegalArgumentException(what + " must be HOST:PORT, e.g. 198.18.0.2:40123: " + text);
        }
        String host = text.substring(0, colon);
        if (host.startsWith("["))
        {
            if (!host.endsWith("]") || host.length() < 3)
            {
                throw new IllegalArgumentException(what + ": an IPv6 host goes in brackets, [::1]:40123: " + text);
            }
            host = host.substring(1, host.length() - 1);
        }
        else if (host.indexOf(':') >= 0)
        {
            throw new IllegalArgumentException(what + ": an IPv6 host goes in brackets, [::1]:40123: " + text);
        }
        final int port;
        try
        {
            port = Integer.parseInt(text.substring(colon + 1));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(what + ": the port is not a number: " + text, ex);
        }
        if (port < (anyPortAllowed ? 0 : 1) || port > 65535)
        {
            throw new IllegalArgumentException(what + ": the port must be " + (anyPortAllowed ? 0 : 1)
                + "..65535: " + text);
        }
        return new HostAndPort(host, port);
    }

    /**
     * The address, resolved now.
     *
     * @return the socket address.
     * @throws IllegalArgumentException when the host name does not resolve.
     */
    public InetSocketAddress resolve()
    {
        try
        {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException("unknown host " + host + " in " + this, ex);
        }
    }

    /**
     * The local address this machine sends from to reach this endpoint (the route's source address): where a node
     * can answer.
     *
     * @return the local address.
     */
    public InetAddress localAddressTowards()
    {
        try (DatagramSocket socket = new DatagramSocket())
        {
            socket.connect(resolve());
            final InetAddress local = socket.getLocalAddress();
            if (local == null || local.isAnyLocalAddress())
            {
                throw new IllegalStateException("no local address routes to " + this);
            }
            return local;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("no route to " + this + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * The Aeron UDP channel of a publication to this endpoint.
     *
     * @return the channel URI.
     */
    public String publicationChannel()
    {
        return "aeron:udp?endpoint=" + endpoint() + "|term-length=" + RemoteConfiguration.TERM_LENGTH + "|mtu="
            + RemoteConfiguration.MTU;
    }

    /**
     * The Aeron UDP channel of a subscription on this endpoint.
     *
     * @return the channel URI.
     */
    public String subscriptionChannel()
    {
        return "aeron:udp?endpoint=" + endpoint();
    }

    /**
     * The endpoint for a channel: an IPv6 address in brackets.
     *
     * @param address the address.
     * @param port    the port.
     * @return {@code address:port}.
     */
    public static String endpoint(final InetAddress address, final int port)
    {
        final String literal = address.getHostAddress();
        return (address instanceof Inet6Address ? "[" + literal + "]" : literal) + ":" + port;
    }

    private String endpoint()
    {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }

    @Override
    public String toString()
    {
        return endpoint();
    }
}
