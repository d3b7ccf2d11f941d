package web

import (
	"bytes"
	"encoding/binary"
	"flag"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/invitedhq/invited"
)

var update = flag.Bool("update", false, "rewrite assets/favicon.ico from the drawing in favicon_test.go")

// faviconICO is the committed /favicon.ico.
const faviconICO = "assets/favicon.ico"

// TestFaviconICO checks that assets/favicon.ico is the icon drawn here,
// which is assets/favicon.svg at 32 by 32 pixels, for browsers that ask
// for /favicon.ico whatever a page links. After changing the drawing, run
// go test ./internal/web -run TestFaviconICO -update.
func TestFaviconICO(t *testing.T) {
	want := icoOf(t, drawFavicon(32))
	if *update {
		if err := os.WriteFile(faviconICO, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(faviconICO)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is not the icon drawn by drawFavicon; run go test ./internal/web -run TestFaviconICO -update", faviconICO)
	}
}

// TestFavicon fetches the icons as a browser does: /favicon.ico, an ICO
// holding a 32 by 32 PNG, and the SVG the pages link, both kept for a day.
// Every page links both.
func TestFavicon(t *testing.T) {
	s := newSite(t)
	for _, tt := range []struct{ path, contentType string }{
		{"/favicon.ico", "image/"},
		{"/assets/favicon.svg", "image/svg+xml"},
	} {
		a := s.get(t, tt.path)
		if a.status != http.StatusOK || !strings.HasPrefix(a.header.Get("Content-Type"), tt.contentType) {
			t.Fatalf("GET %s: %d %q, want 200 %s…", tt.path, a.status, a.header.Get("Content-Type"), tt.contentType)
		}
		if cc := a.header.Get("Cache-Control"); cc != "public, max-age=86400" {
			t.Errorf("GET %s: Cache-Control %q", tt.path, cc)
		}
		if tt.path == "/favicon.ico" {
			checkICO(t, []byte(a.body))
		}
	}
	for path, status := range map[string]int{"/console": http.StatusOK, "/i/" + invited.NewSecret(""): http.StatusGone} {
		s.get(t, path).expect(t, status, `<link rel="icon" href="/favicon.ico" sizes="32x32">`,
			`<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">`)
	}
}

// checkICO fails the test unless ico is an icon file of one 32 by 32 PNG.
func checkICO(t *testing.T, ico []byte) {
	t.Helper()
	if len(ico) < 22 || !bytes.Equal(ico[:6], []byte{0, 0, 1, 0, 1, 0}) || ico[6] != 32 || ico[7] != 32 {
		t.Fatalf("not an icon file of one 32x32 image: % x", ico[:min(len(ico), 22)])
	}
	size, offset := binary.LittleEndian.Uint32(ico[14:]), binary.LittleEndian.Uint32(ico[18:])
	if int(offset)+int(size) != len(ico) {
		t.Fatalf("image of %d bytes at %d in a file of %d", size, offset, len(ico))
	}
	img, err := png.Decode(bytes.NewReader(ico[offset:]))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 32 || b.Dy() != 32 {
		t.Fatalf("icon of %v", b)
	}
}

// icoOf wraps img in an icon file: its header, one directory entry, and
// the image as PNG, which every browser reads in an ICO.
func icoOf(t *testing.T, img image.Image) []byte {
	t.Helper()
	var body bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&body, img); err != nil {
		t.Fatal(err)
	}
	size := img.Bounds().Dx()
	var ico bytes.Buffer
	binary.Write(&ico, binary.LittleEndian, struct {
		Reserved, Type, Count  uint16
		Width, Height, Colours uint8
		Reserved2              uint8
		Planes, Bits           uint16
		Size, Offset           uint32
	}{Type: 1, Count: 1, Width: uint8(size), Height: uint8(size), Planes: 1, Bits: 32, Size: uint32(body.Len()), Offset: 22})
	ico.Write(body.Bytes())
	return ico.Bytes()
}

// drawFavicon draws assets/favicon.svg on a size by size square: an
// envelope, white strokes 2 units wide, on a blue square with rounded
// corners, in the SVG's units of 32 a side, 4 by 4 samples a pixel.
func drawFavicon(size int) *image.RGBA {
	const samples = 4
	blue := color.RGBA{0x1d, 0x4e, 0xd8, 0xff}
	strokes := [][4]float64{{7, 10, 25, 10}, {25, 10, 25, 22}, {25, 22, 7, 22}, {7, 22, 7, 10}, {7, 10, 16, 17}, {16, 17, 25, 10}}
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	scale := 32 / float64(size)
	for py := range size {
		for px := range size {
			var r, g, b, a int
			for sy := range samples {
				for sx := range samples {
					x := (float64(px) + (float64(sx)+.5)/samples) * scale
					y := (float64(py) + (float64(sy)+.5)/samples) * scale
					if !inRoundedSquare(x, y, 32, 6) {
						continue
					}
					c := blue
					for _, s := range strokes {
						if distToSegment(x, y, s) <= 1 {
							c = color.RGBA{0xff, 0xff, 0xff, 0xff}
						}
					}
					r, g, b, a = r+int(c.R), g+int(c.G), b+int(c.B), a+int(c.A)
				}
			}
			// Samples outside the square are transparent black: the sums
			// are the premultiplied colour image.RGBA keeps.
			n := samples * samples
			img.SetRGBA(px, py, color.RGBA{uint8(r / n), uint8(g / n), uint8(b / n), uint8(a / n)})
		}
	}
	return img
}

// inRoundedSquare reports whether (x, y) is in the square of side a with
// corners rounded to radius rx.
func inRoundedSquare(x, y, a, rx float64) bool {
	if x < 0 || y < 0 || x > a || y > a {
		return false
	}
	cx, cy := math.Max(rx, math.Min(x, a-rx)), math.Max(rx, math.Min(y, a-rx))
	return math.Hypot(x-cx, y-cy) <= rx
}

// distToSegment is the distance from (x, y) to the segment s, x1 y1 x2 y2.
func distToSegment(x, y float64, s [4]float64) float64 {
	dx, dy := s[2]-s[0], s[3]-s[1]
	u := math.Max(0, math.Min(1, ((x-s[0])*dx+(y-s[1])*dy)/(dx*dx+dy*dy)))
	return math.Hypot(x-s[0]-u*dx, y-s[1]-u*dy)
}
