import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Renders the drawing primitives docs/monitoring-dashboard.py writes (size, rect, text, poly;
 * one per line) into a PNG with Java2D, headless: java docs/DrawPrimitives.java IN OUT.
 */
public class DrawPrimitives {
    public static void main(String[] args) throws Exception {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = null;
        Graphics2D g = null;
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            String[] f = line.split(" ", 8);
            switch (f[0]) {
                case "size" -> {
                    img = new BufferedImage(Integer.parseInt(f[1]), Integer.parseInt(f[2]), BufferedImage.TYPE_INT_RGB);
                    g = img.createGraphics();
                    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
                    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
                }
                case "rect" -> {
                    int x = Integer.parseInt(f[1]), y = Integer.parseInt(f[2]), w = Integer.parseInt(f[3]), h = Integer.parseInt(f[4]);
                    g.setColor(Color.decode(f[5]));
                    g.fillRoundRect(x, y, w, h, 6, 6);
                    if (!f[6].equals("none")) {
                        g.setColor(Color.decode(f[6]));
                        g.drawRoundRect(x, y, w, h, 6, 6);
                    }
                }
                case "text" -> {
                    String[] t = line.split(" ", 8); // text x y size bold|plain anchor color words...
                    g.setFont(new Font("DejaVu Sans", t[4].equals("bold") ? Font.BOLD : Font.PLAIN, Integer.parseInt(t[3])));
                    g.setColor(Color.decode(t[6]));
                    String s = t.length > 7 ? t[7] : "";
                    int w = g.getFontMetrics().stringWidth(s);
                    int x = Integer.parseInt(t[1]) - (t[5].equals("end") ? w : t[5].equals("middle") ? w / 2 : 0);
                    g.drawString(s, x, Integer.parseInt(t[2]));
                }
                case "poly" -> {
                    String[] p = line.split(" ");
                    g.setColor(Color.decode(p[1]));
                    g.setStroke(new BasicStroke(1.6f));
                    Path2D.Double path = new Path2D.Double();
                    for (int i = 2; i < p.length; i++) {
                        String[] xy = p[i].split(",");
                        double x = Double.parseDouble(xy[0]), y = Double.parseDouble(xy[1]);
                        if (i == 2) path.moveTo(x, y); else path.lineTo(x, y);
                    }
                    g.draw(path);
                }
                default -> throw new IllegalArgumentException("unknown primitive: " + line);
            }
        }
        g.dispose();
        ImageIO.write(img, "png", new File(args[1]));
    }
}
