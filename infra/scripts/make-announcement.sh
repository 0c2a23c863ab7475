#!/usr/bin/env bash
# Makes the prior-notice announcement (사전고지 안내멘트, Art. 7) a PBX plays before a recorded call:
# Korean speech from espeak-ng's `ko` voice, converted by ffmpeg to what PBXs take as a prompt — WAV, G.711 µ-law,
# 8 kHz, mono.
#   make-announcement.sh [text] [output.wav]
# Without arguments it remakes the shipped file, templates/announcement/announcement-ko.wav, from the default text
# of ANNOUNCEMENT_TEXT; a city with its own wording runs it with that text and points ANNOUNCEMENT_AUDIO_FILE at
# the result (or records a person and converts it the same way).
# Needs espeak-ng and ffmpeg from Debian (apt-get install espeak-ng ffmpeg); the suites need neither, they check
# the shipped file.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Must stay equal to ANNOUNCEMENT_TEXT's default in infra/settings.ts (test/capture/announcement.test.ts checks it).
default_text='이 통화는 정확한 업무 처리를 위해 녹음됩니다.'
text=${1:-$default_text}
output=${2:-$root/templates/announcement/announcement-ko.wav}

for command in espeak-ng ffmpeg; do
  command -v "$command" >/dev/null || { echo "'$command' is needed: apt-get install $command" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A little slower than espeak's default 175 words a minute: callers hear it once, on a narrow-band line.
espeak-ng -v ko -s 150 -w "$work/speech.wav" -- "$text"
# A quarter second of silence before and after, so the PBX's switching does not clip the first and last syllable.
# -bitexact and no metadata: the same text gives the same bytes, so the committed file can be checked by remaking it.
ffmpeg -hide_banner -loglevel error -y -i "$work/speech.wav" \
  -af 'adelay=250,apad=pad_dur=0.25' -ar 8000 -ac 1 -c:a pcm_mulaw \
  -map_metadata -1 -fflags +bitexact -flags:a +bitexact \
  "$output"
echo "$output"
