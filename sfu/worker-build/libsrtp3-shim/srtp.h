#pragma once
// mediasoup >= 3.15 calls versatica's libsrtp 3.0.0-beta API (size_t lengths, separate input and
// output buffers, an MKI index argument, srtp_stream_remove). Debian ships only libsrtp2 2.5, so
// sfu/build-worker-offline.sh puts this header first on the include path of mediasoup's libsrtp3
// subproject and links Debian's libsrtp2: each 3.x call copies the input into the output buffer
// and runs libsrtp2's in-place call on it. The ciphers, key derivation and replay protection are
// libsrtp2's own; only the calling convention is adapted. sfu/srtp.test.ts proves every
// suite both ways (RTP, RTCP, RTX) and that a wrong key drops the packets.
#include <srtp2/srtp.h>
#ifdef __cplusplus
#include <cstddef>
#include <cstdint>
#include <cstring>

// Error codes libsrtp 3 added; libsrtp2 never returns them, mediasoup only names them.
static constexpr srtp_err_status_t srtp_err_status_buffer_small = static_cast<srtp_err_status_t>(28);
static constexpr srtp_err_status_t srtp_err_status_cryptex_err = static_cast<srtp_err_status_t>(29);

inline srtp_err_status_t srtp_protect(
  srtp_t ctx, const uint8_t* in, size_t inLen, uint8_t* out, size_t* outLen, size_t mki)
{
	// libsrtp2 appends the tag in place: the output must hold the packet plus its trailer.
	if (*outLen < inLen + SRTP_MAX_TRAILER_LEN)
		return srtp_err_status_buffer_small;
	if (out != in)
		std::memmove(out, in, inLen);
	int n = static_cast<int>(inLen);
	const srtp_err_status_t err = mki
	  ? srtp_protect_mki(ctx, out, &n, 1, static_cast<unsigned int>(mki))
	  : srtp_protect(ctx, out, &n);
	if (err == srtp_err_status_ok)
		*outLen = static_cast<size_t>(n);
	return err;
}

inline srtp_err_status_t srtp_protect_rtcp(
  srtp_t ctx, const uint8_t* in, size_t inLen, uint8_t* out, size_t* outLen, size_t mki)
{
	// SRTCP adds the 4-byte E flag and index before the tag.
	if (*outLen < inLen + SRTP_MAX_TRAILER_LEN + 4)
		return srtp_err_status_buffer_small;
	if (out != in)
		std::memmove(out, in, inLen);
	int n = static_cast<int>(inLen);
	const srtp_err_status_t err = mki
	  ? srtp_protect_rtcp_mki(ctx, out, &n, 1, static_cast<unsigned int>(mki))
	  : srtp_protect_rtcp(ctx, out, &n);
	if (err == srtp_err_status_ok)
		*outLen = static_cast<size_t>(n);
	return err;
}

inline srtp_err_status_t srtp_unprotect(
  srtp_t ctx, const uint8_t* in, size_t inLen, uint8_t* out, size_t* outLen)
{
	if (out != in)
	{
		if (*outLen < inLen)
			return srtp_err_status_buffer_small;
		std::memmove(out, in, inLen);
	}
	int n = static_cast<int>(inLen);
	const srtp_err_status_t err = srtp_unprotect(ctx, out, &n);
	if (err == srtp_err_status_ok)
		*outLen = static_cast<size_t>(n);
	return err;
}

inline srtp_err_status_t srtp_unprotect_rtcp(
  srtp_t ctx, const uint8_t* in, size_t inLen, uint8_t* out, size_t* outLen)
{
	if (out != in)
	{
		if (*outLen < inLen)
			return srtp_err_status_buffer_small;
		std::memmove(out, in, inLen);
	}
	int n = static_cast<int>(inLen);
	const srtp_err_status_t err = srtp_unprotect_rtcp(ctx, out, &n);
	if (err == srtp_err_status_ok)
		*outLen = static_cast<size_t>(n);
	return err;
}

#define srtp_stream_remove srtp_remove_stream
#endif
