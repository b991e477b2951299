/**
 * Bench helper: a quiet Node host whose one NIC is on a fresh user-mode network and
 * whose one disk is a FAT image opened read-only — the http-server example's backends.
 */
import { type NodeHost, nodeHost } from '@libos/boot/node';
import { createUserNetwork, type HostForward, type UserNetwork } from '@libos/net/node';
import { FileBlockBackend } from '@libos/virtio/node';

export async function userNetworkHost(
  image: string,
  hostForwards: readonly HostForward[] = [],
  onClose: () => void = () => {},
): Promise<{ host: NodeHost; network: UserNetwork }> {
  const network = await createUserNetwork({ hostForwards });
  const disk = await FileBlockBackend.open(image, { readOnly: true });
  const host = nodeHost({
    net: [network.guestPort],
    disks: [disk],
    log: () => {},
    onClose: async () => {
      await network.close();
      await disk.close();
      onClose();
    },
  });
  return { host, network };
}
