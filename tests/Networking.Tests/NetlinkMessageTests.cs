using System.Net;
using ContainerConsole.Networking.Netlink;

namespace ContainerConsole.Networking.Tests;

public class NetlinkMessageTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(string.Concat(hex.Where(char.IsAsciiHexDigit)));

    [Fact]
    public void Veth_create_request_nests_the_peer_ifinfomsg_inside_linkinfo_with_4_byte_alignment()
    {
        var bytes = RouteNetlink.CreateVethMessage("ccv1", "ccp1", 1500).ToArray(sequence: 1);
        var expected = Hex("""
            70000000 1000 0506 01000000 00000000
            00000000 00000000 00000000 00000000
            0900 0300 63637631 00 000000
            0800 0400 dc050000
            3c00 1280
              0900 0100 76657468 00 000000
              2c00 0280
                2800 0100
                  00000000 00000000 00000000 00000000
                  0900 0300 63637031 00 000000
                  0800 0400 dc050000
            """);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(bytes));
    }

    [Fact]
    public void Veth_placed_at_creation_is_up_on_its_bridge_with_the_peer_named_addressed_and_in_the_namespace()
    {
        var placement = new VethPeerPlacement(5, System.Net.NetworkInformation.PhysicalAddress.Parse("02-42-AC-11-00-02"), 7);
        var bytes = RouteNetlink.CreateVethMessage("ccv1", "eth0", 1500, placement).ToArray(sequence: 1);
        var expected = Hex("""
            8c000000 1000 0506 01000000 00000000
            00000000 00000000 01000000 01000000
            0900 0300 63637631 00 000000
            0800 0400 dc050000
            0800 0a00 07000000
            5000 1280
              0900 0100 76657468 00 000000
              4000 0280
                3c00 0100
                  00000000 00000000 00000000 00000000
                  0900 0300 65746830 00 000000
                  0800 0400 dc050000
                  0a00 0100 0242ac110002 0000
                  0800 1c00 05000000
            """);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(bytes));
    }

    [Fact]
    public void Address_request_carries_ifaddrmsg_local_and_address()
    {
        var bytes = RouteNetlink.AddAddressMessage(7, IPAddress.Parse("10.252.9.2"), 24).ToArray(sequence: 3);
        var expected = Hex("""
            28000000 1400 0505 03000000 00000000
            02 18 00 00 07000000
            0800 0200 0afc0902
            0800 0100 0afc0902
            """);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(bytes));
    }

    [Fact]
    public void A_multipart_dump_yields_every_link_up_to_done()
    {
        // Two RTM_NEWLINK parts (NLM_F_MULTI) and NLMSG_DONE, as one recv() returns them.
        var first = Hex("""
            44000000 1000 0200 05000000 00000000
            00 00 0100 05000000 03100100 00000000
            0c00 0300 63637661 62636400
            0800 0500 06000000
            1000 1200 0900 0100 76657468 00 000000
            """);
        var second = Hex("""
            4c000000 1000 0200 05000000 00000000
            00 00 0100 08000000 03100100 00000000
            0900 0300 63637662 00 000000
            0800 0500 09000000
            0800 2500 00000000
            1000 1200 0b00 0100 62726964 6765 00 00
            """);
        var done = Hex("14000000 0300 0200 05000000 00000000 00000000");
        Assert.Equal(first.Length, BitConverter.ToInt32(first));
        Assert.Equal(second.Length, BitConverter.ToInt32(second));

        var messages = NetlinkMessage.Parse([.. first, .. second, .. done]);

        Assert.Equal([RouteNetlink.RtmNewLink, RouteNetlink.RtmNewLink, NetlinkMessage.Done], messages.Select(m => m.Type));
        Assert.All(messages, m => Assert.Equal(5u, m.Sequence));
        var links = messages.Take(2).Select(RouteNetlink.ParseLink).ToList();
        Assert.Equal(new LinkInfo(5, "ccvabcd", "veth", 6, false), links[0]);
        Assert.Equal(new LinkInfo(8, "ccvb", "bridge", 9, true), links[1]);
    }

    [Fact]
    public void An_error_ack_becomes_an_exception_naming_the_operation_errno_and_kernel_text()
    {
        // NLMSG_ERROR, NLM_F_CAPPED|NLM_F_ACK_TLVS: error -17, the echoed request header, NLMSGERR_ATTR_MSG.
        var ack = Hex("""
            34000000 0200 0003 09000000 00000000
            efffffff
            70000000 1000 0506 09000000 00000000
            0e00 0100 42616420 7468696e 6700 0000
            """);
        var message = Assert.Single(NetlinkMessage.Parse(ack));
        var (error, text) = message.ReadError();
        Assert.Equal(-17, error);
        Assert.Equal("Bad thing", text);
        Assert.Equal("creating veth ccv1 failed: File exists (Bad thing)", new NetlinkException("creating veth ccv1", -error, text).Message);
    }

    [Fact]
    public void A_message_longer_than_the_data_is_rejected()
    {
        Assert.Throws<InvalidDataException>(() => NetlinkMessage.Parse(Hex("40000000 1000 0200 05000000 00000000")));
    }
}
