#!/usr/bin/env bash
# Downloads Mesa's lavapipe from the bookworm-backports suite of the mirror this machine's apt already uses, with a
# private apt state (system packages stay untouched), and unpacks it into $1 with a rewritten lvp_icd.json.
set -euo pipefail
mkdir -p "$1"; dest=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The mirror: the first URIs line of the deb822 sources (or the first deb line of sources.list) that serves bookworm.
uri=""
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
  uri=$(awk '$1=="deb" && $3 ~ /^bookworm/ {print $2; exit}' /etc/apt/sources.list)
fi
[ -n "$uri" ] || { echo "fetch-mesa: no Debian mirror found in apt's sources" >&2; exit 1; }

mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/etc/preferences.d"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri bookworm-backports main" > "$work/sources.list"
opts=(-o Dir::Etc::SourceList="$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o Dir::State::Lists="$work/lists" -o Dir::Cache::Archives="$work/archives"
      -o Dir::Etc::Preferences="$work/etc/preferences" -o Dir::Etc::PreferencesParts="$work/etc/preferences.d"
      -o APT::Get::List-Cleanup=0 -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
apt-get "${opts[@]}" update -qq
cd "$work"
apt-get "${opts[@]}" download mesa-vulkan-drivers/bookworm-backports libdrm2/bookworm-backports \
  libdrm-amdgpu1/bookworm-backports >/dev/null
mkdir -p "$work/root"
for deb in "$work"/*.deb; do dpkg -x "$deb" "$work/root"; done
so=$(find "$work/root" -name libvulkan_lvp.so | head -1)
icd=$(find "$work/root" -name 'lvp_icd*.json' | head -1)
[ -n "$so" ] && [ -n "$icd" ] || { echo "fetch-mesa: lavapipe not found in the downloaded packages" >&2; exit 1; }
rm -rf "$dest"; mkdir -p "$dest"
cp -a "$work/root/." "$dest/root/"
lib=$(dirname "${so/$work\/root/$dest/root}")
# Point the ICD at the unpacked driver (absolute path; the cache folder is per checkout).
sed -E "s#\"library_path\": *\"[^\"]*\"#\"library_path\": \"$lib/libvulkan_lvp.so\"#" "$icd" > "$dest/lvp_icd.json"
echo "$lib" > "$dest/libdir"
echo "fetch-mesa: $(basename "$work"/mesa-vulkan-drivers_*.deb) unpacked into $dest" >&2
