@testable import LibWebSockets
import Testing

extension AllTests {
    /// Which permessage-deflate offers lws 4.1.6 can honour; no sockets.
    @Suite struct DeflateNegotiationTests {
        @Test func takesTheKnownParametersOfEachOfferInOrder() {
            let offers = DeflateNegotiation(
                header: "x-webkit-deflate-frame, permessage-deflate; client_max_window_bits; server_no_context_takeover,"
                    + " permessage-deflate ;client_no_context_takeover ; server_max_window_bits=\"12\"")
            #expect(offers.offers.count == 2)
            let first = offers.answer(question: 0)
            #expect(first?.serverNoContextTakeover == true && first?.clientNoContextTakeover == false)
            #expect(first?.serverMaxWindowBits == nil)
            let second = offers.answer(question: 1)
            #expect(second?.clientNoContextTakeover == true && second?.serverMaxWindowBits == 12)
            #expect(offers.answer(question: 2) == nil, "lws never asks more often than there are offers")
        }

        @Test func declinesWhatLWSWouldMisanswer() {
            for header in [
                "permessage-deflate; server_max_window_bits=8",  // zlib compresses with 9 at least
                "permessage-deflate; server_max_window_bits",  // needs a value
                "permessage-deflate; server_max_window_bits=16",
                "permessage-deflate; server_max_window_bits=x",
                "permessage-deflate; mystery",  // lws would accept and ignore it
                "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            ] {
                let offers = DeflateNegotiation(header: header)
                #expect(offers.offers.count == 1, "\(header)")
                #expect(offers.answer(question: 0) == nil, "\(header)")
                #expect(offers.offers.first?.declineReason != nil, "\(header)")
            }
        }

        @Test func ignoresOtherExtensionsAndEmptyHeaders() {
            #expect(DeflateNegotiation(header: "").offers.isEmpty)
            #expect(DeflateNegotiation(header: "permessage-deflatex, foo; a=1").offers.isEmpty)
            #expect(DeflateNegotiation(header: "  permessage-deflate  ").answer(question: 0) != nil)
        }
    }
}
